package apply

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/connectsync/connectsync/kafka"
	"github.com/connectsync/connectsync/object"
)

// SinkHealth is a sink's progress as Kafka sees it: its consumer group's
// committed offsets against the log ends of its topics.
type SinkHealth struct {
	Group string `json:"group"`
	// Lag is the number of records waiting, at the last reading.
	Lag int64 `json:"lag"`
	// Stalled lists the partitions ("orders/0") with records waiting whose
	// committed offset did not move over Interval.
	Stalled []string `json:"stalled_partitions"`
	// Interval is the time between the two readings; zero when one reading
	// sufficed (no lag) or only one was asked for.
	Interval        time.Duration            `json:"-"`
	IntervalSeconds float64                  `json:"interval_seconds"`
	Partitions      []kafka.PartitionOffsets `json:"partitions"`
}

// IsStalled reports whether records wait and the sink is not getting past
// them.
func (h *SinkHealth) IsStalled() bool { return h != nil && len(h.Stalled) > 0 }

// Summary is a one-line account of the figures.
func (h *SinkHealth) Summary() string {
	switch {
	case h.IsStalled():
		return fmt.Sprintf("stalled: %d records waiting, committed offsets unmoved for %s on %s",
			h.Lag, h.Interval.Round(time.Second), strings.Join(h.Stalled, ", "))
	case h.Lag > 0 && h.Interval > 0:
		return fmt.Sprintf("lag %d records, progressing", h.Lag)
	case h.Lag > 0:
		return fmt.Sprintf("lag %d records", h.Lag)
	}
	return "caught up (lag 0)"
}

// HealthFunc reads one sink's health; Options.Health and status use it.
type HealthFunc func(ctx context.Context, sink object.Ref) (*SinkHealth, error)

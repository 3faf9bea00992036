package kafka

import (
	"context"
	"fmt"
	"sort"
)

// PartitionOffsets are one partition's figures for a consumer group.
type PartitionOffsets struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Committed is the group's committed offset, -1 when it has none.
	Committed int64 `json:"committed"`
	Start     int64 `json:"log_start"`
	End       int64 `json:"log_end"`
	// Lag is End minus the position the group resumes from (Committed, or
	// the log start when it has committed nothing: Connect's sink consumers
	// default to auto.offset.reset=earliest).
	Lag int64 `json:"lag"`
}

// position is where the group resumes in the partition.
func (p PartitionOffsets) position() int64 {
	if p.Committed < 0 || p.Committed < p.Start {
		return p.Start
	}
	return p.Committed
}

// GroupOffsets are a consumer group's committed offsets against the log
// ends of its topics, partition by partition.
type GroupOffsets struct {
	Group      string             `json:"group"`
	Partitions []PartitionOffsets `json:"partitions"`
	// Lag is the sum of the partitions' lags.
	Lag int64 `json:"lag"`
}

// GroupOffsets reads a group's committed offsets for the topics and their
// start and end offsets. It sends OffsetFetch and ListOffsets only: it never
// joins the group and never commits. Topics that do not exist are left out.
func (c *Client) GroupOffsets(ctx context.Context, group string, topics []string) (GroupOffsets, error) {
	g := GroupOffsets{Group: group, Partitions: []PartitionOffsets{}}
	if len(topics) == 0 {
		return g, nil
	}
	committed, err := c.adm.FetchOffsets(ctx, group)
	if err != nil {
		return g, c.scrub(fmt.Errorf("group %s: %w", group, err))
	}
	starts, err := c.adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return g, c.scrub(err)
	}
	ends, err := c.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return g, c.scrub(err)
	}
	for _, t := range topics {
		if unknownTopic(ends[t]) {
			continue
		}
		for p, e := range ends[t] {
			if e.Err != nil {
				return g, c.scrub(fmt.Errorf("topic %s partition %d: %w", t, p, e.Err))
			}
			s, _ := starts.Lookup(t, p)
			po := PartitionOffsets{Topic: t, Partition: p, Committed: -1, Start: s.Offset, End: e.Offset}
			if o, ok := committed.Lookup(t, p); ok && o.Err == nil {
				po.Committed = o.At
			}
			po.Lag = max(po.End-po.position(), 0)
			g.Lag += po.Lag
			g.Partitions = append(g.Partitions, po)
		}
	}
	sort.Slice(g.Partitions, func(i, j int) bool {
		a, b := g.Partitions[i], g.Partitions[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	return g, nil
}

// Stalled lists the partitions ("orders/2") that had records waiting at
// both readings and whose group position did not move between them: the
// sink is not getting past them.
func Stalled(before, after GroupOffsets) []string {
	prev := map[string]int64{}
	for _, p := range before.Partitions {
		if p.Lag > 0 {
			prev[fmt.Sprintf("%s/%d", p.Topic, p.Partition)] = p.position()
		}
	}
	var out []string
	for _, p := range after.Partitions {
		k := fmt.Sprintf("%s/%d", p.Topic, p.Partition)
		if pos, ok := prev[k]; ok && p.Lag > 0 && p.position() == pos {
			out = append(out, k)
		}
	}
	return out
}

package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// unknownTopic reports whether the broker answered that the topic does not
// exist (a single partition -1 with UNKNOWN_TOPIC_OR_PARTITION).
func unknownTopic(ps map[int32]kadm.ListedOffset) bool {
	for _, o := range ps {
		if errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
			return true
		}
	}
	return false
}

// Header is one record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one sampled record.
type Record struct {
	Partition int32
	Offset    int64
	Key       []byte
	// Value is nil for a tombstone.
	Value   []byte
	Headers []Header
}

// Sample is what Latest read.
type Sample struct {
	// Records holds each topic's records, by partition then offset.
	Records map[string][]Record
	// Partitions counts each existing topic's partitions.
	Partitions map[string]int
	// Missing lists the topics that do not exist.
	Missing []string
	// Short lists the partitions ("orders/2") that did not deliver every
	// record asked for before the time budget ran out.
	Short []string
}

// Latest reads the newest n records of every partition of the topics. It
// lists each partition's start and end offsets, then consumes the
// partitions directly from max(start, end-n) until each has delivered
// offset end-1: no consumer group is joined and nothing is committed. All
// partitions of all topics are fetched concurrently, in one fetch session
// per broker. ctx bounds the whole read: when it ends, what arrived is
// returned, with the partitions still short.
func (c *Client) Latest(ctx context.Context, topics []string, n int) (*Sample, error) {
	out := &Sample{Records: map[string][]Record{}, Partitions: map[string]int{}}
	if len(topics) == 0 || n <= 0 {
		return out, nil
	}
	starts, err := c.adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, c.scrub(err)
	}
	ends, err := c.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, c.scrub(err)
	}
	from := map[string]map[int32]kgo.Offset{}
	last := map[string]map[int32]int64{} // the offset each partition must reach
	for _, t := range topics {
		ps, ok := ends[t]
		if !ok || unknownTopic(ps) {
			out.Missing = append(out.Missing, t)
			continue
		}
		out.Partitions[t] = len(ps)
		for p, e := range ps {
			if e.Err != nil {
				return nil, c.scrub(fmt.Errorf("topic %s partition %d: %w", t, p, e.Err))
			}
			s, _ := starts.Lookup(t, p)
			begin := max(s.Offset, e.Offset-int64(n))
			if begin >= e.Offset {
				continue // empty
			}
			if from[t] == nil {
				from[t], last[t] = map[int32]kgo.Offset{}, map[int32]int64{}
			}
			from[t][p] = kgo.NewOffset().At(begin)
			last[t][p] = e.Offset - 1
		}
	}
	sort.Strings(out.Missing)
	if len(from) == 0 {
		return out, nil
	}
	cl, err := kgo.NewClient(append(c.s.options(), kgo.ConsumePartitions(from))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	pending := 0
	for _, ps := range last {
		pending += len(ps)
	}
	for pending > 0 && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		// A fetch error leaves its partition short; the budget ends the loop.
		fs.EachRecord(func(r *kgo.Record) {
			want, ok := last[r.Topic][r.Partition]
			if !ok || r.Offset > want {
				return // produced after the end was listed
			}
			rec := Record{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value}
			for _, h := range r.Headers {
				rec.Headers = append(rec.Headers, Header{Key: h.Key, Value: h.Value})
			}
			out.Records[r.Topic] = append(out.Records[r.Topic], rec)
			if r.Offset == want {
				delete(last[r.Topic], r.Partition)
				pending--
			}
		})
	}
	for t, ps := range last {
		for p := range ps {
			out.Short = append(out.Short, fmt.Sprintf("%s/%d", t, p))
		}
	}
	sort.Strings(out.Short)
	for _, rs := range out.Records {
		sort.Slice(rs, func(i, j int) bool {
			if rs[i].Partition != rs[j].Partition {
				return rs[i].Partition < rs[j].Partition
			}
			return rs[i].Offset < rs[j].Offset
		})
	}
	return out, nil
}

package kafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectsync/connectsync/internal/testcluster"
)

// BenchmarkLatest10x3x20 is the cost of plan's sampling at the size issue 14 names:
// the newest 20 records of each of 3 partitions of 10 topics, from the local broker
// (make bench runs it through scripts/bench-sampling.sh).
func BenchmarkLatest10x3x20(b *testing.B) {
	c := testcluster.Get(b)
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.BrokerAddr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		b.Fatal(err)
	}
	defer prod.Close()
	adm := kadm.NewClient(prod)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var topics []string
	for i := 0; i < 10; i++ {
		topics = append(topics, fmt.Sprintf("data-bench-sample-%d", i))
	}
	_, _ = adm.DeleteTopics(ctx, topics...)
	for {
		rs, err := adm.CreateTopics(ctx, 3, 1, nil, topics...)
		if err == nil && rs.Error() == nil {
			break
		}
		if ctx.Err() != nil {
			b.Fatalf("create topics: %v %v", err, rs.Error())
		}
		time.Sleep(300 * time.Millisecond)
	}
	defer func() { _, _ = adm.DeleteTopics(context.Background(), topics...) }()
	var recs []*kgo.Record
	for _, t := range topics {
		for p := int32(0); p < 3; p++ {
			for i := 0; i < 40; i++ {
				recs = append(recs, &kgo.Record{Topic: t, Partition: p, Key: []byte(fmt.Sprint(i)),
					Value: []byte(fmt.Sprintf(`{"id":%d,"created":"2026-11-25T09:30:00Z","amount":12.34,"name":"n%d"}`, i, i))})
			}
		}
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	s, _ := SettingsFrom(map[string]string{"bootstrap.servers": c.BrokerAddr}, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cl, err := Dial(s)
		if err != nil {
			b.Fatal(err)
		}
		got, err := cl.Latest(ctx, topics, 20)
		cl.Close()
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, rs := range got.Records {
			n += len(rs)
		}
		if n != 600 || len(got.Short) > 0 {
			b.Fatalf("read %d records (short %v), want 600", n, got.Short)
		}
	}
	b.ReportMetric(600, "records/op")
}

package kafka

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectsync/connectsync/internal/testcluster"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

// GroupSnapshot lists the broker's consumer groups and, for each, its
// committed offsets, as "group topic/partition=offset" lines. Tests take one
// before and one after a read to show that nothing joined or committed.
func groupSnapshot(t *testing.T, adm *kadm.Client, keep func(group string) bool) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	gs, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range gs.Groups() {
		if !keep(g) {
			continue
		}
		offs, err := adm.FetchOffsets(ctx, g)
		if err != nil {
			t.Fatalf("group %s: %v", g, err)
		}
		var parts []string
		offs.Each(func(o kadm.OffsetResponse) {
			parts = append(parts, fmt.Sprintf("%s/%d=%d", o.Topic, o.Partition, o.At))
		})
		out[g] = strings.Join(sortStrings(parts), " ")
	}
	return out
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

// TestLatestOnTheRealBroker: the newest n records of each partition, read
// over PLAINTEXT from the local cluster's broker, with the exact offsets;
// an empty partition and a missing topic; GroupOffsets of a group with no
// commits. No consumer group is created and no offset moves.
func TestLatestOnTheRealBroker(t *testing.T) {
	c := testcluster.Get(t)
	s, err := SettingsFrom(map[string]string{"bootstrap.servers": c.BrokerAddr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prod, err := kgo.NewClient(kgo.SeedBrokers(c.BrokerAddr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	adm := kadm.NewClient(prod)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	topic := "data-kafka-latest"
	_, _ = adm.DeleteTopics(ctx, topic)
	for {
		r, err := adm.CreateTopic(ctx, 3, 1, nil, topic)
		if err == nil && r.Err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("create topic: %v %v", err, r.Err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Cleanup(func() { _, _ = adm.DeleteTopics(context.Background(), topic) })
	var recs []*kgo.Record
	for p := int32(0); p < 2; p++ { // partition 2 stays empty
		for i := 0; i < 25; i++ {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf(`{"n":%d}`, i)),
				Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}})
		}
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	notConnect := func(g string) bool { return !strings.HasPrefix(g, "connect-") }
	before := groupSnapshot(t, adm, notConnect)

	cl, err := Dial(s)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	start := time.Now()
	got, err := cl.Latest(ctx, []string{topic, "data-kafka-no-such-topic"}, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sampled 2x20 records in %s", time.Since(start).Round(time.Millisecond))
	var offsets []string
	for _, r := range got.Records[topic] {
		offsets = append(offsets, fmt.Sprintf("%d/%d", r.Partition, r.Offset))
	}
	var want []string
	for p := 0; p < 2; p++ {
		for o := 5; o < 25; o++ {
			want = append(want, fmt.Sprintf("%d/%d", p, o))
		}
	}
	if diff := cmp.Diff(want, offsets); diff != "" {
		t.Errorf("sampled offsets (-want +got)\n%s", diff)
	}
	if r := got.Records[topic][0]; string(r.Value) != `{"n":5}` || len(r.Headers) != 1 || string(r.Headers[0].Value) != "v" {
		t.Errorf("first record = %+v", r)
	}
	if diff := cmp.Diff([]string{"data-kafka-no-such-topic"}, got.Missing); diff != "" || got.Partitions[topic] != 3 || len(got.Short) != 0 {
		t.Errorf("missing %v, partitions %v, short %v", got.Missing, got.Partitions, got.Short)
	}

	g, err := cl.GroupOffsets(ctx, "connect-data-kafka-nobody", []string{topic})
	if err != nil {
		t.Fatal(err)
	}
	if g.Lag != 50 || len(g.Partitions) != 3 || g.Partitions[0].Committed != -1 || g.Partitions[0].End != 25 {
		t.Errorf("group offsets = %+v", g)
	}

	after := groupSnapshot(t, adm, notConnect)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("consumer groups changed by the reads (-before +after)\n%s", diff)
	}
	all, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range all.Groups() {
		if strings.Contains(name, "data-kafka") {
			t.Errorf("a group was created: %s", name)
		}
	}
}

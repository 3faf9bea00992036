package apply_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/object"
	"github.com/google/go-cmp/cmp"
)

// TestApplyResultsKeepClusterOrder applies a plan of several clusters at
// once (none of them has a worker that answers, so no network is needed)
// and checks that the results come back in the plan's order, whichever
// cluster finishes first, for every bound on clusters at once.
func TestApplyResultsKeepClusterOrder(t *testing.T) {
	plan := &diff.Plan{}
	clusters := map[string]*apply.ClusterState{}
	var want []string
	for _, c := range []string{"zeta", "alpha", "mid", "beta", "omega", "gamma"} {
		clusters[c] = &apply.ClusterState{}
		for i := 0; i < 3; i++ {
			ch := diff.Change{Action: diff.Create, Ref: object.SinkRef(c, fmt.Sprintf("s%d", i))}
			plan.Changes = append(plan.Changes, ch)
			want = append(want, c+"/"+ch.Name)
		}
	}
	for _, parallel := range []int{0, 1, 2, 16} {
		for run := 0; run < 20; run++ {
			s := &apply.Session{Plan: plan, Clusters: clusters}
			res := s.Apply(context.Background(), apply.Options{Clusters: parallel, Wait: -1})
			var got []string
			for _, r := range res.Changes {
				if r.Outcome != apply.OutcomePending {
					t.Fatalf("%s/%s: outcome %v, want pending (no worker answers)", r.Change.Cluster, r.Change.Name, r.Outcome)
				}
				got = append(got, r.Change.Cluster+"/"+r.Change.Name)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("clusters at once %d, run %d: results out of plan order (-want +got):\n%s", parallel, run, d)
			}
		}
	}
}

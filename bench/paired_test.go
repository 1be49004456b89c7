package bench_test

import (
	"slices"
	"testing"
	"time"
)

// batchTarget is roughly how long one contender's batch of operations runs
// before the next contender's batch in BenchmarkPaired.
const batchTarget = 500 * time.Microsecond

// BenchmarkPaired measures the same workloads as BenchmarkPeers with the
// contenders interleaved: each iteration runs a short batch of operations
// on every contender in turn (starting with a different one each time), so
// every contender sees the same load on a shared machine. It reports, for
// each contender, the median over its batches of the time per operation as
// the metric "<impl>-ns/op"; the benchmark's own ns/op (all contenders
// together) means nothing.
//
// The median discards the batches a descheduling or a GC cycle stretched,
// so it measures the work each contender does per statement with little of
// the GC cost its allocations cause (and a GC cycle one contender causes may
// land on another's batch). Allocations cannot be told apart here:
// BenchmarkPeers reports them, and its means include each contender's GC
// cost. Read the two together.
func BenchmarkPaired(b *testing.B) {
	e := newEnv(b)
	var seq int64
	for _, spec := range targets() {
		b.Run("driver="+spec.name, func(b *testing.B) {
			t := spec.mk(b)
			pools := openAll(b, e, t)
			for _, w := range workloads() {
				b.Run("op="+w.name, func(b *testing.B) {
					states := make([]*opState, len(pools))
					for j, p := range pools {
						states[j] = &opState{ctx: p.ctx, db: p.db, t: t, seq: &seq}
					}
					e.settle(b)
					paired(b, w, pools, states)
				})
			}
		})
	}
}

func paired(b *testing.B, w workload, pools []pool, states []*opState) {
	k := batchSize(b, w, states[0])
	n := len(pools)
	per := make([][]float64, n) // per contender, ns per operation of each batch
	ops := 0
	for r := 0; b.Loop(); r++ {
		for j := range n {
			c := (j + r) % n
			start := time.Now()
			for m := range k {
				if err := w.op(states[c], ops+m); err != nil {
					b.Fatalf("%s: %v", pools[c].name, err)
				}
			}
			per[c] = append(per[c], float64(time.Since(start).Nanoseconds())/float64(k))
		}
		ops += k
	}
	for c, p := range pools {
		b.ReportMetric(median(per[c]), p.name+"-ns/op")
	}
}

// median of xs (which it sorts).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// batchSize times a few operations of the first contender and returns how
// many make a batch of about batchTarget.
func batchSize(b *testing.B, w workload, s *opState) int {
	const probe = 5
	start := time.Now()
	for i := range probe {
		if err := w.op(s, i); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / probe
	return max(1, min(1000, int(batchTarget/max(per, 1))))
}

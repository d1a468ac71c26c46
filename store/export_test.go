package store

import "testing"

// ForceReportJoin makes ExperimentData read payments through the join (true)
// or choose as in production (false) until t ends.
func ForceReportJoin(t testing.TB, join bool) {
	forceReportJoin.Store(join)
	t.Cleanup(func() { forceReportJoin.Store(false) })
}

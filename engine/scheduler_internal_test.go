package engine

import (
	"testing"
	"time"
)

// The sweep's pause grows with its cost, so it never keeps more than 5 % of
// a core busy, and never waits more than 30 s.
func TestRoundGap(t *testing.T) {
	for _, tc := range []struct{ every, took, want time.Duration }{
		{time.Second, 2 * time.Millisecond, time.Second},
		{time.Second, 50 * time.Millisecond, time.Second},
		{time.Second, 400 * time.Millisecond, 8 * time.Second},
		{time.Second, 5 * time.Second, 30 * time.Second},
		{2 * time.Second, 0, 2 * time.Second},
	} {
		if got := roundGap(tc.every, tc.took); got != tc.want {
			t.Errorf("roundGap(%v, %v) = %v; want %v", tc.every, tc.took, got, tc.want)
		}
	}
}

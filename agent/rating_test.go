package agent

import "testing"

func TestRating(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"5", 5, true}, {" 3 ", 3, true}, {"4!", 4, true}, {"⭐ 2", 2, true},
		{"0", 0, false}, {"6", 0, false}, {"45", 0, false}, {"", 0, false}, {"5 estrellas", 0, false}, {"1.5", 0, false},
	} {
		got, ok := rating(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("rating(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

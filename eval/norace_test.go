//go:build !race

package eval

// raceEnabled says the tests run under the race detector.
const raceEnabled = false

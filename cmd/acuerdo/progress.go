package main

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// progress draws a one-line bar on a terminal: rows done, share of the file read
// and speed. It draws nothing until a few thousand rows have gone by, so small
// imports stay quiet, and nothing at all when stderr is not a terminal.
type progress struct {
	w      io.Writer
	on     bool
	total  int64 // file size in bytes, 0 when unknown
	read   *atomic.Int64
	start  time.Time
	last   time.Time
	drawn  bool
	minRow int
}

func newProgress(e *env, total int64, read *atomic.Int64) *progress {
	return &progress{w: e.stderr, on: e.tty, total: total, read: read, start: time.Now(), minRow: 5000}
}

// rows is the importer's callback.
func (p *progress) rows(n int) {
	if !p.on || n < p.minRow || time.Since(p.last) < 150*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.drawn = true
	rate := float64(n) / time.Since(p.start).Seconds()
	if p.total > 0 {
		frac := min(1, float64(p.read.Load())/float64(p.total))
		const width = 30
		fill := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d rows  %.0f rows/s ", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), frac*100, n, rate)
		return
	}
	fmt.Fprintf(p.w, "\r%d rows  %.0f rows/s ", n, rate)
}

// done ends the bar's line so the summary starts on a fresh one.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// countingReader counts the bytes read through it, for the bar's percentage.
type countingReader struct {
	r io.ReadCloser
	n *atomic.Int64
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func (c countingReader) Close() error { return c.r.Close() }

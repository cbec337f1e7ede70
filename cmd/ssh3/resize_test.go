package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ssh3-project/ssh3/app/session"
)

// TestRelaySizes: a size is sent only when it changed since the last one
// sent (the start counts as sent), whatever the events are (a SIGWINCH or,
// on Windows, a poll tick); a full channel drops the size, and the next
// change is sent.
func TestRelaySizes(t *testing.T) {
	sizes := []session.PtySpec{
		{Columns: 80, Rows: 24}, // the start
		{Columns: 80, Rows: 24}, // tick, no change
		{Columns: 100, Rows: 24},
		{Columns: 100, Rows: 24},
		{Columns: 100, Rows: 40},
	}
	i := 0
	size := func() *session.PtySpec { s := sizes[min(i, len(sizes)-1)]; i++; return &s }
	events := make(chan struct{})
	done := make(chan struct{})
	out := make(chan session.PtySpec, 8)
	finished := make(chan struct{})
	go func() { relaySizes(events, done, size, out); close(finished) }()
	for range len(sizes) - 1 {
		events <- struct{}{}
	}
	close(done)
	<-finished
	close(out)
	var got []session.PtySpec
	for s := range out {
		got = append(got, s)
	}
	want := []session.PtySpec{{Columns: 100, Rows: 24}, {Columns: 100, Rows: 40}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sizes sent (-want +got):\n%s", d)
	}
}

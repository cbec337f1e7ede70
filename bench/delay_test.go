package bench

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeClock moves only when the test advances it; Sleep blocks until then.
type fakeClock struct {
	mu      sync.Mutex // guards now and waiters
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	until time.Time
	ch    chan struct{}
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(d time.Duration) {
	c.mu.Lock()
	w := fakeWaiter{until: c.now.Add(d), ch: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	<-w.ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.until.After(c.now) {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// fakeEnd is a packetIO: reads come from in, writes are recorded with the
// fake time they happened at.
type fakeEnd struct {
	clock *fakeClock
	in    chan []byte

	mu      sync.Mutex // guards written
	written []written
}

type written struct {
	at  time.Time
	pkt []byte
}

func newFakeEnd(c *fakeClock) *fakeEnd { return &fakeEnd{clock: c, in: make(chan []byte)} }

func (e *fakeEnd) ReadPacket(b []byte) (int, error) {
	p, ok := <-e.in
	if !ok {
		return 0, errors.New("closed")
	}
	return copy(b, p), nil
}

func (e *fakeEnd) WritePacket(b []byte) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.written = append(e.written, written{e.clock.Now(), bytes.Clone(b)})
	return nil
}

func (e *fakeEnd) got() []written {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]written(nil), e.written...)
}

func TestRelayReleasesAtDueTimeInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock()
		t0 := clk.Now()
		cli, srv := newFakeEnd(clk), newFakeEnd(clk)
		r := newRelay(cli, srv, clk)
		r.SetRTT(20 * time.Millisecond) // 10 ms each way
		r.StartCapture()

		cli.in <- []byte("A") // read at 0, due at 10 ms
		synctest.Wait()       // the reader has stamped it
		clk.Advance(3 * time.Millisecond)
		cli.in <- []byte("B") // read at 3 ms, due at 13 ms
		srv.in <- []byte("r") // the other way: read at 3 ms, due at 13 ms
		synctest.Wait()

		step := func(to time.Duration, wantCli, wantSrv string) {
			t.Helper()
			clk.Advance(t0.Add(to).Sub(clk.Now()))
			synctest.Wait()
			if got := joined(srv.got()); got != wantSrv {
				t.Errorf("at %v server got %q, want %q", to, got, wantSrv)
			}
			if got := joined(cli.got()); got != wantCli {
				t.Errorf("at %v client got %q, want %q", to, got, wantCli)
			}
		}
		step(10*time.Millisecond-time.Nanosecond, "", "")
		step(10*time.Millisecond, "", "A")
		step(13*time.Millisecond-time.Nanosecond, "", "A")
		step(13*time.Millisecond, "r", "AB")

		due := map[string]time.Duration{"A": 10 * time.Millisecond, "B": 13 * time.Millisecond, "r": 13 * time.Millisecond}
		for _, w := range append(srv.got(), cli.got()...) {
			if at := w.at.Sub(t0); at < due[string(w.pkt)] {
				t.Errorf("%q released at %v, before its due time %v", w.pkt, at, due[string(w.pkt)])
			}
		}
		recs := r.StopCapture()
		if len(recs) != 3 || recs[0].Dir != ClientToServer || recs[0].At != t0 {
			t.Errorf("capture = %+v, want 3 records, the first c→s at t0", recs)
		}
		close(cli.in)
		close(srv.in)
		r.Close()
	})
}

func TestRelayKeepsOrderUnderLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock()
		cli, srv := newFakeEnd(clk), newFakeEnd(clk)
		r := newRelay(cli, srv, clk)
		r.SetRTT(100 * time.Millisecond)
		const count = 200
		for i := range count {
			cli.in <- []byte{byte(i)}
			if i%7 == 0 {
				synctest.Wait()
				clk.Advance(time.Millisecond)
			}
		}
		for range 20 {
			clk.Advance(10 * time.Millisecond)
			synctest.Wait()
		}
		got := srv.got()
		if len(got) != count {
			t.Fatalf("released %d packets, want %d", len(got), count)
		}
		for i, w := range got {
			if w.pkt[0] != byte(i) {
				t.Fatalf("packet %d released as number %d", w.pkt[0], i)
			}
			if i > 0 && w.at.Before(got[i-1].at) {
				t.Fatalf("packet %d released before packet %d", i, i-1)
			}
		}
		close(cli.in)
		close(srv.in)
		r.Close()
	})
}

func TestRelayRTTChangeAppliesToLaterPackets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock()
		t0 := clk.Now()
		cli, srv := newFakeEnd(clk), newFakeEnd(clk)
		r := newRelay(cli, srv, clk)
		cli.in <- []byte("0") // RTT 0: released at once
		synctest.Wait()
		if got := srv.got(); len(got) != 1 || !got[0].at.Equal(t0) {
			t.Fatalf("with RTT 0 got %+v, want one packet at t0", got)
		}
		r.SetRTT(40 * time.Millisecond)
		if r.RTT() != 40*time.Millisecond {
			t.Errorf("RTT() = %v", r.RTT())
		}
		cli.in <- []byte("1")
		synctest.Wait()
		clk.Advance(20*time.Millisecond - 1)
		synctest.Wait()
		if len(srv.got()) != 1 {
			t.Fatal("released before its 20 ms one-way delay")
		}
		clk.Advance(1)
		synctest.Wait()
		if len(srv.got()) != 2 {
			t.Fatal("not released at its due time")
		}
		close(cli.in)
		close(srv.in)
		r.Close()
	})
}

func joined(ws []written) string {
	var b []byte
	for _, w := range ws {
		b = append(b, w.pkt...)
	}
	return string(b)
}

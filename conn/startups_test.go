package conn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/ssh3-project/ssh3/frame"
)

func TestParseStartups(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Startups
		err  bool
	}{
		{"10:30:100", Startups{10, 30, 100}, false},
		{"0:100:1", Startups{0, 100, 1}, false},
		{"20", Startups{20, 100, 20}, false},
		{"10:30", Startups{}, true},
		{"10:0:100", Startups{}, true},
		{"10:101:100", Startups{}, true},
		{"50:30:10", Startups{}, true},
		{"0", Startups{}, true},
		{"-1:30:100", Startups{}, true},
		{"a:b:c", Startups{}, true},
		{"", Startups{}, true},
	} {
		got, err := ParseStartups(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseStartups(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err == nil && got.String() != tc.in && len(tc.in) > 3 {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
}

// TestDropPercent follows sshd's drop_connection: rate at start, rising
// linearly to 100 at full.
func TestDropPercent(t *testing.T) {
	st := Startups{10, 30, 100}
	for n, want := range map[int]int{0: 0, 9: 0, 10: 30, 55: 65, 99: 99, 100: 100, 500: 100} {
		if got := st.dropPercent(n); got != want {
			t.Errorf("dropPercent(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestStartupGateRolls(t *testing.T) {
	g := newStartupGate(Startups{1, 50, 3})
	var rolls []int
	g.roll = func() int { r := rolls[0]; rolls = rolls[1:]; return r }
	for i, step := range []struct {
		roll  int // -1: no roll expected
		admit bool
	}{
		{-1, true},  // 0 pending, below start
		{0, false},  // 1 pending: 50%
		{49, false}, // 1 pending: 50%
		{50, true},  // 1 pending: 50%
		{74, false}, // 2 pending: 75%
		{75, true},  // 2 pending: 75%
		{-1, false}, // 3 pending: full, no roll
	} {
		rolls = nil
		if step.roll >= 0 {
			rolls = []int{step.roll}
		}
		if got := g.admit(); got != step.admit {
			t.Fatalf("step %d: admit %v, want %v", i, got, step.admit)
		}
		if len(rolls) != 0 {
			t.Fatalf("step %d: no roll taken", i)
		}
	}
	g.leave()
	if g.count() != 2 {
		t.Fatalf("count %d after leave, want 2", g.count())
	}
}

// closeCode waits for a connection to be closed and returns its
// application error code.
func closeCode(t *testing.T, qc *quic.Conn) Code {
	t.Helper()
	select {
	case <-qc.Context().Done():
	case <-time.After(20 * time.Second):
		t.Fatal("connection not closed")
	}
	var ae *quic.ApplicationError
	if err := context.Cause(qc.Context()); errors.As(err, &ae) && ae.Remote {
		return Code(ae.ErrorCode)
	} else {
		t.Fatalf("connection closed by %v, want the server's application close", err)
	}
	return 0
}

// TestMaxStartups: with full at 2, a third unauthenticated connection is
// closed with H3_EXCESSIVE_LOAD; once one of the two authenticates it no
// longer counts, and a new connection is served.
func TestMaxStartups(t *testing.T) {
	checkLeaks(t)
	gated := make(chan bool, 8)
	srv := &Server{MaxStartups: Startups{2, 100, 2}, LoginGraceTime: -1}
	srv.testOnGate = func(ok bool) { gated <- ok }
	h := startServer(t, srv)
	first := h.raw()
	_ = h.raw()
	for i := range 2 {
		if !<-gated {
			t.Fatalf("connection %d refused below full", i)
		}
	}
	third := h.raw()
	if <-gated {
		t.Fatal("third unauthenticated connection admitted at full")
	}
	if c := closeCode(t, third.qc); c != CodeExcessiveLoad {
		t.Errorf("refused with %s, want %s", c, CodeExcessiveLoad)
	}
	first.connect(frame.Alpha)
	c := h.dial(frame.Alpha)
	if !<-gated {
		t.Fatal("connection refused after one of the two authenticated")
	}
	if err := echoOnce(c, "after"); err != nil {
		t.Fatal(err)
	}
}

// TestLoginGraceTime: a connection that establishes no conversation is
// closed when the grace time passes; one that authenticated earlier is
// not, though it is older.
func TestLoginGraceTime(t *testing.T) {
	checkLeaks(t)
	h := startServer(t, &Server{LoginGraceTime: 300 * time.Millisecond})
	authed := h.dial(frame.Alpha)
	idle := h.raw()
	if c := closeCode(t, idle.qc); c != CodeNoError {
		t.Errorf("closed with %s, want %s", c, CodeNoError)
	}
	if err := echoOnce(authed, "still here"); err != nil {
		t.Fatalf("authenticated connection after the grace time: %v", err)
	}
}

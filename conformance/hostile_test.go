package conformance

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/wire"
)

// A hostile target: an HTTP/3 server that completes the QUIC handshake and
// then misbehaves in one way on every stream.
type hostileMode string

const (
	hostileMute    hostileMode = "accepts and never answers"
	hostileGarbage hostileMode = "answers garbage"
	hostileReset   hostileMode = "resets every stream"
	hostileEndless hostileMode = "answers 200, then endless streams"
	hostileCrash   hostileMode = "crashes at the first request"
)

type hostileTarget struct {
	*fakeListener
	mode    hostileMode
	p       *frame.Profile
	crashed chan struct{}
}

func startHostile(t *testing.T, mode hostileMode, p *frame.Profile) *hostileTarget {
	t.Helper()
	cert, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	h := &hostileTarget{mode: mode, p: p, crashed: make(chan struct{})}
	l, err := listenFake(cert, false, h.serve)
	if err != nil {
		t.Fatal(err)
	}
	h.fakeListener = l
	return h
}

func (h *hostileTarget) serve(qc *quic.Conn) {
	ctx := qc.Context()
	if h.mode == hostileGarbage {
		if ctl, err := qc.OpenUniStream(); err == nil {
			_, _ = ctl.Write(append([]byte{0x00}, garbage(512)...))
		}
	} else {
		sendSettings(qc, defaultFakeSettings)
	}
	go drainUniStreams(qc) // whatever the suite sends on its own uni streams
	for {
		st, err := qc.AcceptStream(ctx)
		if err != nil {
			return
		}
		go h.stream(qc, st)
	}
}

func (h *hostileTarget) stream(qc *quic.Conn, st *quic.Stream) {
	stop := context.AfterFunc(qc.Context(), func() { st.CancelRead(0x10c); st.CancelWrite(0x10c) })
	defer stop()
	br := bufio.NewReader(st)
	first, err := br.Peek(1)
	if err != nil {
		return
	}
	request := first[0] == h3FrameHeaders
	switch h.mode {
	case hostileMute:
		_, _ = io.Copy(io.Discard, br)
	case hostileGarbage:
		_, _ = st.Write(garbage(4096))
		_ = st.Close()
		_, _ = io.Copy(io.Discard, br)
	case hostileReset:
		st.CancelRead(0x10c)
		st.CancelWrite(0x10c)
	case hostileEndless:
		go func() { _, _ = io.Copy(io.Discard, br) }()
		var chunk []byte
		if request {
			_, _ = st.Write(EncodeHeaders([]Field{{":status", "200"}, versionField(h.p, "")}))
			chunk = make([]byte, 16<<10) // a DATA frame of 2^62-1 bytes that never ends
			_, _ = st.Write(wire.AppendVarint([]byte{0x00}, 1<<62-1))
		} else {
			for range 64 {
				chunk, _ = frame.AppendMessage(chunk, &frame.Data{Data: []byte("endless ")}, h.p, frame.DefaultMaxMessageSize)
			}
			confirm, _ := frame.AppendMessage(nil, frame.NewOpenConfirmation(frame.DefaultMaxMessageSize), h.p, frame.DefaultMaxMessageSize)
			_, _ = st.Write(confirm)
		}
		for {
			if _, err := st.Write(chunk); err != nil {
				return
			}
		}
	case hostileCrash:
		if request {
			select {
			case <-h.crashed:
			default:
				close(h.crashed)
				go h.Close() // every connection and the socket go at once
			}
		}
		_, _ = io.Copy(io.Discard, br)
	}
}

// handshakeOnly are the rows a target passes on its QUIC handshake and
// SETTINGS alone; against a target that answers no CONNECT no other row
// may pass for want of evidence.
var handshakeOnly = map[string]bool{"R-3-3": true, "H-9114-1": true, "H-9220-1": true}

// endlessEvidence are the rows the endless target gives real evidence
// for: it answers every CONNECT 200 (R-3.1-2 only describes which schemes
// get in, R-3.1.2-2 that a bound token does) and opens every channel with
// a well-formed 91 (P-N3-1, P-G2-1).
var endlessEvidence = map[string]bool{"R-3.1-2": true, "R-3.1.2-2": true, "P-N3-1": true, "P-G2-1": true}

func garbage(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// TestHostileTargets: the suite survives a target that accepts and never
// answers, answers garbage, resets every stream, sends endless streams or
// crashes. Every check ends with a result (none passes the rows that need
// a working login), the run ends, a crash is reported as a dead target, and
// no goroutine of the suite is left behind.
func TestHostileTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole server-under-test suite five times")
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	modes := []hostileMode{hostileMute, hostileGarbage, hostileReset, hostileEndless, hostileCrash}
	for i, mode := range modes {
		p := frame.Profiles()[i%len(frame.Profiles())]
		t.Run(fmt.Sprintf("%s/%s", strings.ReplaceAll(string(mode), " ", "-"), p.Name()), func(t *testing.T) {
			before := runtime.NumGoroutine()
			h := startHostile(t, mode, p)
			s, err := New(Config{
				Target:   Target{URL: fmt.Sprintf("https://%s/ssh3-term", h.Addr), User: "nobody", Profile: p.Name(), Insecure: true},
				Signer:   signer,
				Timeout:  300 * time.Millisecond,
				Parallel: 8,
				Run:      hostileRun(mode),
			})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan *Report, 1)
			go func() { done <- s.RunServer(context.Background(), p) }()
			var r *Report
			select {
			case r = <-done:
			case <-time.After(10 * time.Minute): // a hang, not a speed limit
				t.Fatal("the suite did not finish against the target")
			}
			s.Close()
			h.Close()
			if want := countServerDefs(hostileRun(mode)); len(r.Checks) != want {
				t.Fatalf("%d checks reported, want %d", len(r.Checks), want)
			}
			dead := 0
			for _, c := range r.Checks {
				if c.Result == "" {
					t.Errorf("%s: no result", c.ID)
				}
				if strings.Contains(c.Observed, "suite panic") {
					t.Errorf("%s: %s", c.ID, c.Observed)
				}
				if c.Liveness == "dead" {
					dead++
				}
				if c.Result == Pass && !handshakeOnly[c.ID] && !(mode == hostileEndless && endlessEvidence[c.ID]) {
					t.Errorf("%s passes against a target that %s: %s", c.ID, mode, c.Observed)
				}
				if c.Seconds > 5 {
					t.Logf("%s took %.1fs: %s", c.ID, c.Seconds, c.Observed)
				}
			}
			if len(r.MustFailures()) == 0 {
				t.Errorf("no MUST row failed against a target that %s: the suite would exit 0", mode)
			}
			if mode == hostileCrash && dead == 0 {
				t.Error("the target crashed and no check reports it dead")
			}
			t.Logf("%s: %s, %d probes found it dead", mode, r.Summary(), dead)
			waitGoroutines(t, before)
		})
	}
}

// hostileRun selects every server check, except, against the endless
// target, the checks allowed minutes of their own (X-ROB-21, -23, -27, -34,
// P-G5-4, P-G6-2): it answers their CONNECT, so they use that allowance,
// about 3 minutes in all. SSH3_LONG=1 runs them too.
func hostileRun(mode hostileMode) *regexp.Regexp {
	if mode != hostileEndless || os.Getenv("SSH3_LONG") != "" {
		return nil
	}
	var keep []string
	for _, d := range serverDefs() {
		if d.Timeout == 0 {
			keep = append(keep, regexp.QuoteMeta(d.ID))
		}
	}
	return regexp.MustCompile("^(" + strings.Join(keep, "|") + ")$")
}

func countServerDefs(run *regexp.Regexp) int {
	n := 0
	for _, d := range serverDefs() {
		if run == nil || run.MatchString(d.ID) {
			n++
		}
	}
	return n
}

// waitGoroutines fails when more goroutines than before are still running
// after a grace period for connections to finish closing.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	var n int
	for range 100 {
		if n = runtime.NumGoroutine(); n <= before {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	t.Errorf("%d goroutines left, %d before:\n%s", n, before, firstStacks(string(buf), 12))
}

func firstStacks(all string, n int) string {
	parts := strings.Split(all, "\n\n")
	if len(parts) > n {
		parts = parts[:n]
	}
	return strings.Join(parts, "\n\n")
}

// TestHostileClients: client-under-test mode survives a client that hangs
// and leaves a child behind, one that crashes, and one that floods its
// output with garbage. None of them connects, so every check fails, skips
// or is not applicable (none passes for want of evidence), no process of
// the client's group is left, and no goroutine either.
func TestHostileClients(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole client-under-test suite three times")
	}
	marker := fmt.Sprint(3000 + time.Now().UnixNano()%5000) // a sleep nobody else runs
	scripts := map[string]string{
		"hangs with a child": "sleep " + marker + " &\nexec sleep " + marker + "\n",
		"crashes":            "kill -SEGV $$\n",
		"floods garbage":     "head -c 1000000 /dev/urandom\nhead -c 100000 /dev/urandom >&2\nexit 3\n",
	}
	for _, name := range []string{"hangs with a child", "crashes", "floods garbage"} {
		t.Run(strings.ReplaceAll(name, " ", "-"), func(t *testing.T) {
			before := runtime.NumGoroutine()
			script := t.TempDir() + "/client.sh"
			if err := os.WriteFile(script, []byte("#!/bin/sh\n"+scripts[name]), 0o755); err != nil {
				t.Fatal(err)
			}
			s, err := New(Config{
				Target:         Target{User: "nobody"},
				ClientCmd:      script + " {user}@{hostport}{path} {cmd}",
				ClientProfiles: frame.Profiles(),
				Timeout:        300 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan []*Report, 1)
			go func() { done <- s.RunClient(context.Background()) }()
			var rs []*Report
			select {
			case rs = <-done:
			case <-time.After(10 * time.Minute): // a hang, not a speed limit
				t.Fatal("the suite did not finish against the client")
			}
			s.Close()
			for _, r := range rs {
				for _, c := range r.Checks {
					if c.Result == "" {
						t.Errorf("%s: no result", c.ID)
					}
					if strings.Contains(c.Observed, "suite panic") {
						t.Errorf("%s: %s", c.ID, c.Observed)
					}
					if c.Result == Pass { // none of them ever connects
						t.Errorf("%s passes against a client that %s: %s", c.ID, name, c.Observed)
					}
				}
				if len(r.MustFailures()) == 0 {
					t.Errorf("%s: no MUST row failed against a client that %s", r.Profile, name)
				}
				t.Logf("%s, %s: %s", name, r.Profile, r.Summary())
			}
			if left := processesRunning("sleep", marker); len(left) > 0 {
				t.Errorf("processes left behind: %v", left)
			}
			waitGoroutines(t, before)
		})
	}
}

// processesRunning lists the PIDs whose command line is exactly args.
func processesRunning(args ...string) []string {
	want := strings.Join(args, "\x00") + "\x00"
	dirs, _ := os.ReadDir("/proc")
	var out []string
	for _, d := range dirs {
		b, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err == nil && string(b) == want {
			out = append(out, d.Name())
		}
	}
	return out
}

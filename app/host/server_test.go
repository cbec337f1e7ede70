package host

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssh3-project/ssh3/frame"
)

// fakeChannel is the client's end of a session channel in memory: the test
// queues messages and reads what the session wrote.
type fakeChannel struct {
	in   chan frame.Message
	fail chan error // a read error instead of a message (a reset)
	peer frame.Peer
	max  uint64

	// keepOnExit: the client does not end its side when the exit arrives
	// (by default it does, as every client does once it has the exit).
	keepOnExit bool
	ended      chan struct{} // closed when the client ends its side
	endOnce    sync.Once

	mu     sync.Mutex
	out    []frame.Message
	closed bool // CloseWrite was called
	notify chan struct{}
}

func newFakeChannel(p *frame.Profile, caps frame.Caps) *fakeChannel {
	return &fakeChannel{in: make(chan frame.Message, 64), fail: make(chan error, 1), ended: make(chan struct{}),
		peer: frame.NewPeer(p, caps), max: 1024, notify: make(chan struct{}, 1)}
}

// end ends the client's side: the session reads EOF once its queue is empty.
func (f *fakeChannel) end() { f.endOnce.Do(func() { close(f.ended) }) }

func (f *fakeChannel) ReadMessage() (frame.Message, error) {
	select { // what the client sent comes before its end
	case m, ok := <-f.in:
		if !ok {
			return nil, io.EOF
		}
		return m, nil
	default:
	}
	select {
	case m, ok := <-f.in:
		if !ok {
			return nil, io.EOF
		}
		return m, nil
	case err := <-f.fail:
		return nil, err
	case <-f.ended:
		return nil, io.EOF
	}
}

func (f *fakeChannel) WriteMessage(m frame.Message) error {
	// Copy through the codec, as a real channel would.
	b, err := frame.AppendMessage(nil, m, f.peer.Profile, f.max)
	if err != nil {
		return err
	}
	dup, _, err := frame.ParseMessage(b, f.peer.Profile, f.max)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.out = append(f.out, dup)
	f.mu.Unlock()
	select {
	case f.notify <- struct{}{}:
	default:
	}
	switch dup.(type) {
	case *frame.ExitStatus, *frame.ExitSignal:
		if !f.keepOnExit {
			f.end()
		}
	}
	return nil
}

func (f *fakeChannel) CloseWrite() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

func (f *fakeChannel) Peer() frame.Peer           { return f.peer }
func (f *fakeChannel) PeerMaxMessageSize() uint64 { return f.max }

// result splits what the session wrote into stdout, stderr, replies and
// the final exit request.
type result struct {
	stdout, stderr string
	replies        []frame.MsgType
	exit           frame.Request
	other          []frame.Message
}

func (f *fakeChannel) result() result {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r result
	for _, m := range f.out {
		switch m := m.(type) {
		case *frame.Data:
			r.stdout += string(m.Data)
		case *frame.ExtendedData:
			r.stderr += string(m.Data)
		case *frame.Success, *frame.Failure:
			r.replies = append(r.replies, m.Type())
		case *frame.ExitStatus, *frame.ExitSignal:
			r.exit = m.(frame.Request)
		default:
			r.other = append(r.other, m)
		}
	}
	return r
}

func serve(t *testing.T, ch *fakeChannel, cfg *Config) <-chan error {
	t.Helper()
	if cfg.Account == nil {
		cfg.Account = self(t)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), ch, cfg) }()
	return done
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("session did not end")
		return nil
	}
}

func TestServeExecBothProfiles(t *testing.T) {
	for _, p := range frame.Profiles() {
		t.Run(p.Name(), func(t *testing.T) {
			ch := newFakeChannel(p, 0)
			ch.in <- &frame.Exec{WantReply: true, Command: "echo out; echo err >&2; exit 3"}
			if err := wait(t, serve(t, ch, &Config{})); err != nil {
				t.Fatal(err)
			}
			r := ch.result()
			if r.stdout != "out\n" || r.stderr != "err\n" {
				t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
			}
			if d := cmp.Diff(frame.Request(&frame.ExitStatus{Status: 3}), r.exit); d != "" {
				t.Errorf("exit (-want +got):\n%s", d)
			}
			// rth3-00 answers want-reply; a ssh3-alpha peer of unknown make is
			// never sent 99/100 (§6.1).
			var want []frame.MsgType
			if p == frame.RTH300 {
				want = []frame.MsgType{frame.MsgSuccess}
			}
			if d := cmp.Diff(want, r.replies); d != "" {
				t.Errorf("replies (-want +got):\n%s", d)
			}
			// A FIN follows the exit only toward a peer that can take it
			// (TestServeExitTowardReference).
			if ch.closed != ch.peer.MayHalfClose() {
				t.Errorf("FIN after the exit status: %v, want %v", ch.closed, ch.peer.MayHalfClose())
			}
		})
	}
}

// TestServeExitTowardReference: toward a ssh3-alpha peer that announced no
// half-close capability (the reference client), the exit status is not
// followed by a FIN, and the session holds the channel until the client
// ends it: the reference client loses the status's last byte when the FIN
// arrives with it. A peer that announced the capability gets the FIN.
func TestServeExitTowardReference(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps frame.Caps
		fin  bool
	}{
		{"reference", 0, false},
		{"reference, typing after the exit", 0, false},
		{"half-close announced", frame.CapEOF, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := newFakeChannel(frame.Alpha, tc.caps)
			ch.keepOnExit = true
			ch.in <- &frame.Exec{Command: "exit 3"}
			done := serve(t, ch, &Config{})
			if tc.fin {
				if err := wait(t, done); err != nil {
					t.Fatal(err)
				}
			} else {
				for ch.result().exit == nil {
					select {
					case <-ch.notify:
					case err := <-done:
						t.Fatalf("session ended before the exit was reported: %v", err)
					case <-time.After(20 * time.Second):
						t.Fatal("no exit reported")
					}
				}
				select {
				case err := <-done:
					t.Fatalf("session ended before the client ended the channel: %v", err)
				default:
				}
				if strings.Contains(tc.name, "typing") {
					// Data after the exit is dropped; the session still
					// sees the channel end after it.
					ch.in <- &frame.Data{Data: []byte("late keystrokes")}
				}
				ch.end()
				if err := wait(t, done); err != nil {
					t.Fatal(err)
				}
			}
			if d := cmp.Diff(frame.Request(&frame.ExitStatus{Status: 3}), ch.result().exit); d != "" {
				t.Errorf("exit (-want +got):\n%s", d)
			}
			ch.mu.Lock()
			closed := ch.closed
			ch.mu.Unlock()
			if closed != tc.fin {
				t.Errorf("FIN after the exit status: %v, want %v", closed, tc.fin)
			}
		})
	}
}

func TestServeStdinEOF(t *testing.T) {
	ch := newFakeChannel(frame.RTH300, 0)
	ch.in <- &frame.Exec{Command: "cat"}
	ch.in <- &frame.Data{Data: []byte("abc")}
	ch.in <- &frame.Data{Data: []byte("def\n")}
	close(ch.in) // FIN: stdin EOF (X-ROB-36)
	if err := wait(t, serve(t, ch, &Config{})); err != nil {
		t.Fatal(err)
	}
	r := ch.result()
	if r.stdout != "abcdef\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	if d := cmp.Diff(frame.Request(&frame.ExitStatus{Status: 0}), r.exit); d != "" {
		t.Errorf("exit (-want +got):\n%s", d)
	}
}

func TestServeLargeOutputChunked(t *testing.T) {
	ch := newFakeChannel(frame.Alpha, 0)
	ch.in <- &frame.Exec{Command: "head -c 100000 /dev/zero | tr '\\0' x"}
	if err := wait(t, serve(t, ch, &Config{})); err != nil {
		t.Fatal(err)
	}
	r := ch.result()
	if r.stdout != strings.Repeat("x", 100000) {
		t.Errorf("stdout has %d bytes", len(r.stdout))
	}
	// Every message fit the peer's maximum (R-4.1.1-3): the fake channel's
	// AppendMessage would have failed otherwise.
}

func TestServeExitSignal(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *frame.Profile
		caps frame.Caps
		want frame.Request
	}{
		{"rth3-00", frame.RTH300, 0, &frame.ExitSignal{Signal: "KILL"}},
		{"alpha", frame.Alpha, 0, &frame.ExitSignal{Signal: "KILL"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := newFakeChannel(tc.p, tc.caps)
			ch.in <- &frame.Exec{Command: "kill -9 $$"}
			if err := wait(t, serve(t, ch, &Config{})); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, ch.result().exit); d != "" {
				t.Errorf("exit (-want +got):\n%s", d)
			}
		})
	}
}

func TestServeRefusalsKeepSession(t *testing.T) {
	ch := newFakeChannel(frame.RTH300, 0)
	for _, m := range []frame.Message{
		&frame.UnknownRequest{RequestName: "x-probe@example.org", WantReply: true},
		&frame.UnknownRequest{RequestName: "x-probe@example.org", WantReply: false},
		&frame.Env{WantReply: true, Variable: "LD_PRELOAD", Value: "/tmp/x.so"},
		&frame.Env{WantReply: true, Variable: "LANG", Value: "C.UTF-8"},
		&frame.WindowChange{WantReply: true, Columns: 80, Rows: 24},
		&frame.Signal{WantReply: true, Signal: "INT"},
		&frame.ExitStatus{WantReply: true, Status: 1},
		&frame.PtyReq{WantReply: true, Term: "xterm", Columns: 1 << 40, Rows: 10},
		&frame.PtyReq{WantReply: true, Term: "xterm", Columns: 80, Rows: 24, Modes: []byte{53, 0}},
		&frame.Exec{WantReply: true, Command: ""},
		&frame.Subsystem{WantReply: true, Subsystem: "sftp"},
		&frame.X11Req{WantReply: true, AuthProtocol: "MIT-MAGIC-COOKIE-1", AuthCookie: "00"},
		&frame.Exec{WantReply: true, Command: "read x; echo \"$LANG $x\""},
		&frame.Exec{WantReply: true, Command: "echo second"},
		&frame.Shell{WantReply: true},
		&frame.Data{Data: []byte("line\n")},
	} {
		ch.in <- m
	}
	if err := wait(t, serve(t, ch, &Config{})); err != nil {
		t.Fatal(err)
	}
	r := ch.result()
	F, S := frame.MsgFailure, frame.MsgSuccess
	want := []frame.MsgType{F, F, S, F, F, F, F, F, F, F, F, S, F, F}
	if d := cmp.Diff(want, r.replies); d != "" {
		t.Errorf("replies (-want +got):\n%s", d)
	}
	if r.stdout != "C.UTF-8 line\n" {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestServeUnknownMessageClosesChannel(t *testing.T) {
	ch := newFakeChannel(frame.RTH300, 0)
	ch.in <- &frame.UnknownMessage{MsgType: 0x3fff}
	if err := wait(t, serve(t, ch, &Config{})); !errors.Is(err, ErrOutOfSync) {
		t.Fatalf("err = %v, want ErrOutOfSync", err)
	}
}

func TestServeHangupKillsProcessGroup(t *testing.T) {
	ch := newFakeChannel(frame.Alpha, 0)
	ch.in <- &frame.Exec{Command: "trap '' HUP; echo started; sleep 60"}
	done := serve(t, ch, &Config{HangupGrace: 100 * time.Millisecond})
	for !strings.Contains(ch.result().stdout, "started") {
		<-ch.notify
	}
	ch.fail <- errors.New("stream reset by peer")
	err := wait(t, done)
	if err == nil || !strings.Contains(err.Error(), "reset") {
		t.Errorf("err = %v, want the reset", err)
	}
	r := ch.result()
	if d := cmp.Diff(frame.Request(&frame.ExitSignal{Signal: "KILL"}), r.exit); d != "" {
		t.Errorf("exit after SIGKILL (-want +got):\n%s", d)
	}
}

func TestServeForcedCommandAndNoPty(t *testing.T) {
	ch := newFakeChannel(frame.RTH300, 0)
	ch.in <- &frame.PtyReq{WantReply: true, Term: "xterm", Columns: 80, Rows: 24}
	ch.in <- &frame.Exec{WantReply: true, Command: "echo asked"}
	if err := wait(t, serve(t, ch, &Config{ForcedCommand: "echo forced", NoPty: true})); err != nil {
		t.Fatal(err)
	}
	r := ch.result()
	if r.stdout != "forced\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	if d := cmp.Diff([]frame.MsgType{frame.MsgFailure, frame.MsgSuccess}, r.replies); d != "" {
		t.Errorf("replies (-want +got):\n%s", d)
	}
}

func TestServePtySession(t *testing.T) {
	ch := newFakeChannel(frame.RTH300, 0)
	ch.in <- &frame.PtyReq{Term: "xterm-256color", Columns: 90, Rows: 20}
	ch.in <- &frame.Exec{Command: "echo $TERM; stty size; read x; stty size"}
	done := serve(t, ch, &Config{})
	for !strings.Contains(ch.result().stdout, "20 90") {
		<-ch.notify
	}
	ch.in <- &frame.WindowChange{Columns: 132, Rows: 43}
	ch.in <- &frame.Data{Data: []byte("go\r")}
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	r := ch.result()
	for _, want := range []string{"xterm-256color", "20 90", "43 132"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("pty output %q lacks %q", r.stdout, want)
		}
	}
	if r.stderr != "" {
		t.Errorf("stderr on a pty session: %q", r.stderr)
	}
	var buf bytes.Buffer
	buf.WriteString(r.stdout)
}

// writeChunked is conn's cutting for the fakes: p as DATA (dataType 0) or
// EXTENDED_DATA messages, each within max.
func writeChunked(write func(frame.Message) error, max uint64, dataType uint64, p []byte) (int, error) {
	chunk := frame.MaxDataPayload(max) - 8
	for n := 0; n < len(p); n += chunk {
		b := p[n:min(n+chunk, len(p))]
		var m frame.Message = &frame.Data{Data: b}
		if dataType != 0 {
			m = &frame.ExtendedData{DataType: dataType, Data: b}
		}
		if err := write(m); err != nil {
			return n, err
		}
	}
	return len(p), nil
}

func (f *fakeChannel) WriteData(p []byte) (int, error) {
	return writeChunked(f.WriteMessage, f.max, 0, p)
}

func (f *fakeChannel) WriteExtendedData(t uint64, p []byte) (int, error) {
	return writeChunked(f.WriteMessage, f.max, t, p)
}

package host

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/frame"
)

// pipeEnd is one end of an in-memory channel: messages go through the
// codec, and CloseWrite is a FIN the other end reads as io.EOF.
type pipeEnd struct {
	in        chan []byte
	out       chan []byte
	closeOnce *sync.Once
	peer      frame.Peer
}

func pipe(p *frame.Profile, clientCaps, serverCaps frame.Caps) (client, server *pipeEnd) {
	a, b := make(chan []byte, 1024), make(chan []byte, 1024)
	client = &pipeEnd{in: a, out: b, closeOnce: new(sync.Once), peer: frame.NewPeer(p, serverCaps)}
	server = &pipeEnd{in: b, out: a, closeOnce: new(sync.Once), peer: frame.NewPeer(p, clientCaps)}
	return client, server
}

func (e *pipeEnd) ReadMessage() (frame.Message, error) {
	b, ok := <-e.in
	if !ok {
		return nil, io.EOF
	}
	m, _, err := frame.ParseMessage(b, e.peer.Profile, frame.DefaultMaxMessageSize)
	return m, err
}

func (e *pipeEnd) WriteMessage(m frame.Message) error {
	b, err := frame.AppendMessage(nil, m, e.peer.Profile, frame.DefaultMaxMessageSize)
	if err != nil {
		return err
	}
	e.out <- b
	return nil
}

func (e *pipeEnd) CloseWrite() error {
	e.closeOnce.Do(func() { close(e.out) })
	return nil
}

func (e *pipeEnd) Peer() frame.Peer           { return e.peer }
func (e *pipeEnd) PeerMaxMessageSize() uint64 { return frame.DefaultMaxMessageSize }

func runPair(t *testing.T, p *frame.Profile, caps frame.Caps, cfg *session.ClientConfig) (session.Exit, error) {
	t.Helper()
	c, s := pipe(p, caps, caps)
	served := make(chan error, 1)
	sctx, scancel := context.WithCancel(context.Background())
	go func() { served <- Serve(sctx, s, &Config{Account: self(t), HangupGrace: 100 * time.Millisecond}) }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	exit, err := session.RunClient(ctx, c, cfg)
	_ = c.CloseWrite()
	if err != nil {
		scancel() // the connection went away
	}
	defer scancel()
	if serr := <-served; serr != nil && err == nil {
		t.Logf("server: %v", serr)
	}
	return exit, err
}

func TestClientExecExitCodes(t *testing.T) {
	for _, code := range []uint64{0, 1, 3, 255} {
		var out, errb bytes.Buffer
		exit, err := runPair(t, frame.Alpha, 0, &session.ClientConfig{
			Command: "echo hi; echo there >&2; exit " + strconv.FormatUint(code, 10),
			Stdout:  &out, Stderr: &errb,
		})
		if err != nil {
			t.Fatal(err)
		}
		if exit.Status != code || out.String() != "hi\n" || errb.String() != "there\n" {
			t.Errorf("exit %+v stdout %q stderr %q, want status %d", exit, out.String(), errb.String(), code)
		}
	}
}

func TestClientStdinEOF(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *frame.Profile
		caps frame.Caps
	}{
		{"rth3-00", frame.RTH300, 0},
		{"alpha-with-caps", frame.Alpha, frame.AllCaps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			exit, err := runPair(t, tc.p, tc.caps, &session.ClientConfig{
				Command: "cat; echo done", Stdin: strings.NewReader("data"), Stdout: &out,
			})
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != "datadone\n" || exit.Status != 0 {
				t.Errorf("stdout %q exit %+v", out.String(), exit)
			}
		})
	}
}

func TestClientSignalExit(t *testing.T) {
	exit, err := runPair(t, frame.RTH300, 0, &session.ClientConfig{Command: "kill -TERM $$", Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(session.Exit{Signal: "TERM"}, exit); d != "" {
		t.Errorf("exit (-want +got):\n%s", d)
	}
}

func TestClientPtyEscapeDisconnect(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := runPair(t, frame.RTH300, 0, &session.ClientConfig{
			Pty: &session.PtySpec{Term: "xterm", Columns: 80, Rows: 24}, Command: "echo ready; cat",
			Stdin: stdinR, Stdout: &out, Escape: '~',
		})
		done <- err
	}()
	for !strings.Contains(out.String(), "ready") {
		time.Sleep(10 * time.Millisecond)
	}
	_, _ = io.WriteString(stdinW, "x\r~.")
	select {
	case err := <-done:
		if !errors.Is(err, session.ErrDisconnected) {
			t.Errorf("err = %v, want session.ErrDisconnected", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("~. did not disconnect")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (e *pipeEnd) WriteData(p []byte) (int, error) {
	return writeChunked(e.WriteMessage, frame.DefaultMaxMessageSize, 0, p)
}

func (e *pipeEnd) WriteExtendedData(t uint64, p []byte) (int, error) {
	return writeChunked(e.WriteMessage, frame.DefaultMaxMessageSize, t, p)
}

package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/ssh3-project/ssh3/frame"
)

// ClientConfig is what a client asks of a session channel.
type ClientConfig struct {
	Command      string // empty: the login shell
	Pty          *PtySpec
	Env          map[string]string
	ForwardAgent bool

	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Escape is the escape character of an interactive session ('~'); 0
	// turns escapes off (-e none).
	Escape byte
	// Resize delivers terminal size changes (SIGWINCH) for window-change.
	Resize <-chan PtySpec
	Logger *slog.Logger
}

// Exit is how the remote command ended.
type Exit struct {
	Status     uint64 // exit-status; 0 when Signal is set
	Signal     string // exit-signal name, without "SIG"
	CoreDumped bool
	Message    string
}

// ErrDisconnected is returned when the user typed the escape sequence that
// disconnects (~.).
var ErrDisconnected = errors.New("session: disconnected by the user")

// ErrNoExitStatus is returned when the channel ended before the server
// reported how the command ended.
var ErrNoExitStatus = errors.New("session: channel closed without an exit status")

// RunClient drives a session channel from the client side: StartClient,
// then Wait.
func RunClient(ctx context.Context, ch Channel, cfg *ClientConfig) (Exit, error) {
	cs, err := StartClient(ch, cfg)
	if err != nil {
		return Exit{}, err
	}
	return cs.Wait(ctx)
}

// ClientSession is a session whose requests were sent.
type ClientSession struct {
	ch  Channel
	cfg *ClientConfig
	w   *Writer
	log *slog.Logger
}

// StartClient sends the session's requests (pty-req, env, agent
// forwarding, shell or exec) without waiting for anything: call it right
// after opening the channel, so the requests leave in the CONNECT's flight.
func StartClient(ch Channel, cfg *ClientConfig) (*ClientSession, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cs := &ClientSession{ch: ch, cfg: cfg, w: NewWriter(ch), log: log}
	if err := sendSetup(cs.w, cfg, log); err != nil {
		return nil, err
	}
	return cs, nil
}

// Wait relays stdin and output and returns how the command ended. The
// goroutine that reads Stdin ends when Stdin does.
func (cs *ClientSession) Wait(ctx context.Context) (Exit, error) {
	ch, cfg, w, log := cs.ch, cs.cfg, cs.w, cs.log
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	disconnect := make(chan struct{})
	go pumpStdin(ctx, w, ch, cfg, disconnect, log)
	if cfg.Resize != nil {
		go relayResize(ctx, w, cfg.Resize)
	}
	type result struct {
		exit Exit
		err  error
	}
	res := make(chan result, 1)
	go func() {
		e, err := readOutput(ch, cfg)
		res <- result{e, err}
	}()
	select {
	case r := <-res:
		return r.exit, r.err
	case <-disconnect:
		return Exit{}, ErrDisconnected
	case <-ctx.Done():
		return Exit{}, ctx.Err()
	}
}

// sendSetup sends everything before the command: pty-req, env, agent
// forwarding, then shell or exec; each only if the peer may be sent it.
func sendSetup(w *Writer, cfg *ClientConfig, log *slog.Logger) error {
	var msgs []frame.Message
	if p := cfg.Pty; p != nil {
		msgs = append(msgs, &frame.PtyReq{WantReply: true, Term: p.Term, Columns: uint64(p.Columns),
			Rows: uint64(p.Rows), WidthPx: uint64(p.Width), HeightPx: uint64(p.Height), Modes: p.Modes})
	}
	for k, v := range cfg.Env {
		msgs = append(msgs, &frame.Env{Variable: k, Value: v})
	}
	if cfg.ForwardAgent {
		if w.Peer().Profile.ServerOpensChannels() {
			msgs = append(msgs, frame.ForwardAgent())
		} else {
			msgs = append(msgs, &frame.AuthAgent{WantReply: true})
		}
	}
	if cfg.Command == "" {
		msgs = append(msgs, &frame.Shell{WantReply: true})
	} else {
		msgs = append(msgs, &frame.Exec{WantReply: true, Command: cfg.Command})
	}
	for _, m := range msgs {
		sent, err := w.Send(m)
		if err != nil {
			return fmt.Errorf("session: sending %s: %w", describe(m), err)
		}
		if !sent {
			log.Info("session: not sent: the server's profile cannot take it", "message", describe(m))
		}
	}
	return nil
}

func describe(m frame.Message) string {
	if r, ok := m.(frame.Request); ok {
		return r.Name()
	}
	return m.Type().String()
}

// readOutput reads until the exit report and writes output as it comes.
func readOutput(ch Channel, cfg *ClientConfig) (Exit, error) {
	for {
		m, err := ch.ReadMessage()
		if err != nil {
			if err == io.EOF {
				return Exit{}, ErrNoExitStatus
			}
			return Exit{}, err
		}
		switch m := m.(type) {
		case *frame.Data:
			if _, err := cfg.Stdout.Write(m.Data); err != nil {
				return Exit{}, fmt.Errorf("session: writing output: %w", err)
			}
		case *frame.ExtendedData:
			if m.DataType == frame.ExtendedDataStderr && cfg.Stderr != nil {
				_, _ = cfg.Stderr.Write(m.Data)
			}
		case *frame.ExitStatus:
			return Exit{Status: m.Status}, nil
		case *frame.ExitSignal:
			return Exit{Signal: m.Signal, CoreDumped: m.CoreDumped, Message: m.ErrorMessage}, nil
		case *frame.OpenFailure:
			return Exit{}, fmt.Errorf("session: channel refused: reason %d: %s", m.Reason, m.Description)
		case *frame.UnknownMessage:
			return Exit{}, fmt.Errorf("session: server sent unknown message %d", uint64(m.MsgType))
		}
		// Confirmations, replies, window adjusts and unknown requests need
		// nothing from a client: the requests were pipelined and a failed
		// one shows in the command's behaviour.
	}
}

// pumpStdin copies Stdin to the channel, interpreting escape sequences on
// interactive sessions, and delivers EOF as a FIN where the peer takes it.
func pumpStdin(ctx context.Context, w *Writer, ch Channel, cfg *ClientConfig, disconnect chan<- struct{}, log *slog.Logger) {
	if cfg.Stdin == nil {
		closeInput(w, ch, log)
		return
	}
	buf := make([]byte, 32*1024)
	esc := escaper{char: cfg.Escape, atLineStart: true}
	for {
		n, err := cfg.Stdin.Read(buf)
		if n > 0 {
			data := buf[:n]
			if cfg.Pty != nil && esc.char != 0 {
				var act escapeAction
				data, act = esc.filter(data)
				switch act {
				case escDisconnect:
					close(disconnect)
					return
				case escHelp:
					if cfg.Stderr != nil {
						_, _ = io.WriteString(cfg.Stderr, escapeHelp(esc.char))
					}
				}
			}
			if err := w.Data(data); err != nil {
				return
			}
		}
		if err != nil {
			closeInput(w, ch, log)
			return
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func closeInput(w *Writer, ch Channel, log *slog.Logger) {
	if !w.Peer().MayHalfClose() {
		log.Debug("session: stdin EOF not sent: a ssh3-alpha reference server would abort the session")
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = ch.CloseWrite()
}

func relayResize(ctx context.Context, w *Writer, sizes <-chan PtySpec) {
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-sizes:
			if !ok {
				return
			}
			_, _ = w.Send(&frame.WindowChange{Columns: uint64(s.Columns), Rows: uint64(s.Rows),
				WidthPx: uint64(s.Width), HeightPx: uint64(s.Height)})
		}
	}
}

package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/frame"
)

// Config is how a server runs one session channel.
type Config struct {
	Account    *Account
	Connection Connection
	// EnvAllow lists the env names (globs) a client may set; nil means
	// DefaultEnvAllow.
	EnvAllow []string
	// ForcedCommand replaces whatever the client asks to run
	// (authorized_keys command=).
	ForcedCommand string
	// NoPty refuses pty-req (authorized_keys no-pty).
	NoPty bool
	// Subsystems maps subsystem names to the command that serves them; none
	// are built in.
	Subsystems map[string]string
	// AgentForwarding is called when the client asks for agent forwarding;
	// it returns the variables to add (SSH_AUTH_SOCK). Nil refuses.
	AgentForwarding func() (map[string]string, error)
	// HangupGrace is how long a process group has between SIGHUP and
	// SIGKILL when the client goes away; zero means 2 s.
	HangupGrace time.Duration
	Logger      *slog.Logger
}

// state of a session channel.
type state int

const (
	larval  state = iota // before shell, exec or subsystem
	running              // the command runs
)

type server struct {
	cfg   *Config
	ch    session.Channel
	w     *session.Writer
	log   *slog.Logger
	state state

	pty   *session.PtySpec
	env   map[string]string
	proc  *Process
	stdin *stdinQueue
	done  chan struct{} // closed when the command's end was reported
}

// ErrRefused is logged for a request the session refused; it never ends
// the session.
var ErrRefused = errors.New("session: request refused")

// Serve runs a session channel to its end: it answers requests, starts the
// command, relays its input and output, reports its exit, and cleans up
// after a client that goes away. It returns when the command's end has
// been reported (nil) or the channel failed; toward a peer without the
// half-close capability, only once the peer has ended the channel too (or
// ctx ended).
func Serve(ctx context.Context, ch session.Channel, cfg *Config) error {
	s := &server{cfg: cfg, ch: ch, w: session.NewWriter(ch), log: cfg.Logger,
		env: map[string]string{}, done: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	msgs := make(chan frame.Message)
	handled := make(chan struct{})
	readErr := make(chan error, 1)
	go s.readLoop(msgs, handled, readErr)
	for {
		select {
		case m := <-msgs:
			err := s.handle(m)
			handled <- struct{}{}
			if err != nil {
				s.hangup()
				return err
			}
		case err := <-readErr:
			if err == io.EOF && s.proc != nil {
				// stdin EOF (G11): the command goes on; wait for its end.
				s.stdin.close()
				select {
				case <-s.done:
					return nil
				case <-ctx.Done():
					s.hangup()
					return ctx.Err()
				}
			}
			s.hangup()
			if err == io.EOF {
				return nil
			}
			return err
		case <-s.done:
			s.linger(ctx, readErr)
			return nil
		case <-ctx.Done():
			s.hangup()
			return ctx.Err()
		}
	}
}

// linger keeps the channel open once the exit has been reported, toward a
// peer that did not announce the half-close capability, until the peer ends
// the channel or the conversation ends. The reference never ends the
// session channel itself, and its client reads a byte at a time and loses
// the exit status's last byte when the FIN arrives with it (§6.1).
func (s *server) linger(ctx context.Context, readErr <-chan error) {
	if s.w.Peer().MayHalfClose() {
		return
	}
	select {
	case <-readErr:
	case <-ctx.Done():
	}
}

// readLoop owns the channel's read side until the channel is closed (the
// caller of Serve closes it). Each message is handed over and fully handled
// before the next read, since messages alias the channel's buffer.
func (s *server) readLoop(msgs chan<- frame.Message, handled <-chan struct{}, errs chan<- error) {
	for {
		m, err := s.ch.ReadMessage()
		if err != nil {
			errs <- err
			return
		}
		select {
		case msgs <- m:
			<-handled
		case <-s.done:
			// The exit was reported: what the peer still sends is
			// dropped, and reading goes on until the peer ends the
			// channel, which linger waits for.
		}
	}
}

func (s *server) handle(m frame.Message) error {
	switch m := m.(type) {
	case *frame.Data:
		return s.onData(m)
	case *frame.EOF:
		if s.stdin != nil {
			s.stdin.close()
		}
		return nil
	case *frame.ExtendedData, *frame.WindowAdjust, *frame.Success, *frame.Failure:
		return nil // nothing to do: ignored (§3.5)
	case *frame.Close:
		return errClosedByPeer
	case frame.Request:
		return s.onRequest(m)
	case *frame.UnknownMessage:
		return fmt.Errorf("%w: message %d", ErrOutOfSync, uint64(m.MsgType))
	}
	s.log.Debug("session: unexpected message", "type", m.Type())
	return nil
}

var errClosedByPeer = errors.New("session: closed by the peer")

// ErrOutOfSync is wrapped by Serve's error when the peer sent a message
// number nobody knows: the rest of the stream cannot be parsed (N1), and
// the caller resets the channel with H3_MESSAGE_ERROR.
var ErrOutOfSync = errors.New("session: unknown message; channel out of sync (N1)")

func (s *server) onData(m *frame.Data) error {
	if s.state == larval {
		if frame.IsForwardAgent(m) {
			s.enableAgent()
			return nil
		}
		s.log.Debug("session: data before the command started, dropped", "bytes", len(m.Data))
		return nil
	}
	if s.stdin != nil {
		s.stdin.push(m.Data)
	}
	return nil
}

func (s *server) enableAgent() bool {
	if s.cfg.AgentForwarding == nil {
		return false
	}
	vars, err := s.cfg.AgentForwarding()
	if err != nil {
		s.log.Info("session: agent forwarding failed", "err", err)
		return false
	}
	for k, v := range vars {
		s.env[k] = v
	}
	return true
}

func (s *server) refuse(r frame.Request, why string) error {
	s.log.Info("session: request refused", "request", r.Name(), "reason", why)
	return s.w.Reply(r, false)
}

func (s *server) onRequest(r frame.Request) error {
	switch r := r.(type) {
	case *frame.PtyReq:
		return s.onPty(r)
	case *frame.Env:
		if s.state != larval || !EnvAllowed(r.Variable, s.envAllow()) {
			return s.refuse(r, "variable not allowed")
		}
		s.env[r.Variable] = r.Value
		return s.w.Reply(r, true)
	case *frame.AuthAgent:
		if s.state != larval {
			return s.refuse(r, "after the command started")
		}
		return s.w.Reply(r, s.enableAgent())
	case *frame.Shell:
		return s.start(r, "")
	case *frame.Exec:
		if r.Command == "" {
			return s.refuse(r, "empty command")
		}
		return s.start(r, r.Command)
	case *frame.Subsystem:
		cmd, ok := s.cfg.Subsystems[r.Subsystem]
		if !ok {
			return s.refuse(r, "unknown subsystem "+r.Subsystem)
		}
		return s.start(r, cmd)
	case *frame.WindowChange:
		if s.proc == nil || !s.proc.HasPty() {
			return s.refuse(r, "no pty")
		}
		err := s.proc.Resize(clamp16(r.Columns), clamp16(r.Rows), clamp16(r.WidthPx), clamp16(r.HeightPx))
		return s.w.Reply(r, err == nil)
	case *frame.Signal:
		sig, ok := SignalByName(r.Signal)
		if s.proc == nil || !ok {
			return s.refuse(r, "no command running or unknown signal")
		}
		return s.w.Reply(r, s.proc.Signal(sig) == nil)
	}
	return s.refuse(r, "not supported")
}

func (s *server) envAllow() []string {
	if s.cfg.EnvAllow != nil {
		return s.cfg.EnvAllow
	}
	return DefaultEnvAllow
}

// Terminal sizes are clamped to what a pty can hold.
func clamp16(v uint64) uint16 { return uint16(min(v, 0xffff)) }

func (s *server) onPty(r *frame.PtyReq) error {
	switch {
	case s.state != larval || s.pty != nil:
		return s.refuse(r, "pty already requested or command started")
	case s.cfg.NoPty:
		return s.refuse(r, "no-pty")
	case r.Columns > 0xffff || r.Rows > 0xffff:
		return s.refuse(r, "absurd terminal size")
	}
	if _, err := frame.ParseTerminalModes(r.Modes); err != nil {
		return s.refuse(r, err.Error())
	}
	s.pty = &session.PtySpec{Term: r.Term, Columns: clamp16(r.Columns), Rows: clamp16(r.Rows),
		Width: clamp16(r.WidthPx), Height: clamp16(r.HeightPx), Modes: append([]byte(nil), r.Modes...)}
	return s.w.Reply(r, true)
}

func (s *server) start(r frame.Request, command string) error {
	if s.state != larval {
		return s.refuse(r, "a command already runs")
	}
	if s.cfg.ForcedCommand != "" {
		command = s.cfg.ForcedCommand
	}
	term := ""
	if s.pty != nil {
		term = s.pty.Term
	}
	p, err := Start(Spec{
		Account: s.cfg.Account, Command: command, Pty: s.pty,
		Env: LoginEnv(s.cfg.Account, term, s.cfg.Connection, s.env),
	})
	if err != nil {
		s.log.Warn("session: start failed", "err", err)
		if err := s.refuse(r, err.Error()); err != nil {
			return err
		}
		// Without a reply channel the client would wait forever: report
		// the failure as the command's exit.
		_, werr := s.w.Send(&frame.ExitStatus{Status: 255})
		close(s.done)
		return werr
	}
	s.log.Debug("session: command started", "pid", p.Pid())
	s.state, s.proc = running, p
	s.stdin = newStdinQueue(p.Stdin)
	if err := s.w.Reply(r, true); err != nil {
		return err
	}
	go s.run()
	return nil
}

// run relays the command's output, then reports its end; it owns closing
// s.done.
func (s *server) run() {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.pump(s.proc.Stdout, s.w.Data)
	}()
	if s.proc.Stderr != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.pump(s.proc.Stderr, s.w.Stderr)
		}()
	}
	wg.Wait()
	s.log.Debug("session: output ended")
	ps, err := s.proc.Wait()
	s.log.Debug("session: command exited", "state", ps)
	s.stdin.close()
	_ = s.proc.Close()
	if err != nil {
		s.log.Warn("session: wait failed", "err", err)
		_, _ = s.w.Send(&frame.ExitStatus{Status: 255})
	} else if _, err := s.sendExit(ExitMessage(ps)); err != nil {
		s.log.Debug("session: reporting exit failed", "err", err)
	}
	if s.w.Peer().MayHalfClose() {
		_ = s.ch.CloseWrite()
	}
	close(s.done)
}

// sendExit reports the exit; toward a peer that cannot take exit-signal it
// falls back to the shell's convention, 128 + signal number.
func (s *server) sendExit(m frame.Request) (bool, error) {
	if es, ok := m.(*frame.ExitSignal); ok && !s.w.Peer().MaySend(es) {
		sig, _ := SignalByName(es.Signal)
		m = &frame.ExitStatus{Status: ExitCodeFor(sig)}
	}
	return s.w.Send(m)
}

// pumpBuffer is how much output one read takes: the channel cuts it to the
// peer's maximum and batches the messages into one stream write.
const pumpBuffer = 64 << 10

// pump copies r to the channel through send (stdout or stderr). A pty
// master reports the end of its slave as EIO, which counts as EOF.
func (s *server) pump(r io.Reader, send func([]byte) error) {
	buf := make([]byte, pumpBuffer)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if werr := send(buf[:n]); werr != nil {
				s.log.Debug("session: output write failed", "err", werr)
				_, _ = io.Copy(io.Discard, r)
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.EIO) {
				s.log.Debug("session: output read failed", "err", err)
			}
			return
		}
	}
}

// hangup ends the command of a session whose client went away: SIGHUP to
// its process group, SIGKILL after the grace period, and reaping by run.
func (s *server) hangup() {
	if s.proc == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.proc.Signal(syscall.SIGHUP)
	grace := s.cfg.HangupGrace
	if grace == 0 {
		grace = 2 * time.Second
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		_ = s.proc.Signal(syscall.SIGKILL)
		<-s.done
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/auth/hosttrust"
	"github.com/ssh3-project/ssh3/frame"
)

// run is the whole client; it returns the exit status: the remote
// command's, or 255 for connection, authentication and usage errors, as
// OpenSSH's ssh does.
func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err != nil {
		return fail(stderr, err)
	}
	if o.version {
		fmt.Fprintln(stderr, versionString())
		return 0
	}
	if o.help {
		fmt.Fprint(stderr, usage)
		return 0
	}
	if o.destination == "" {
		return fail(stderr, &errUsage{errNoDestination.Error()})
	}
	log := newLogger(stderr, o.verbose, o.quiet)
	s, err := resolve(o)
	if err != nil {
		return fail(stderr, err)
	}
	fwd, err := parseForwards(o, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	tty := newTerminal(stdin, stderr)
	ccfg, err := s.clientConfig(ctx, o, tty, log, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	scfg := s.sessionConfig(o, stdin, stdout, stderr, tty)
	if o.noCommand {
		scfg.Pty = nil // -N: no session at all
	}
	scfg.ForwardAgent = fwd.opts.AgentSocket != "" // -A without an agent asks for nothing
	if scfg.Pty != nil && tty.isTerminal() {
		restore, err := tty.makeRaw()
		if err != nil {
			return fail(stderr, err)
		}
		defer restore()
		resize := make(chan session.PtySpec, 1)
		stopWinch := tty.watchResize(resize)
		defer stopWinch()
		scfg.Resize = resize
	}
	exit, err := fwd.run(ctx, o, s, ccfg, scfg, tty, stderr)
	if err != nil {
		if errors.Is(err, session.ErrDisconnected) {
			fmt.Fprintf(stderr, "\r\nConnection to %s closed.\r\n", s.target.Host)
			return 255
		}
		return fail(stderr, err)
	}
	if exit.Signal != "" {
		msg := "ssh3: remote command killed by signal " + exit.Signal
		if exit.CoreDumped {
			msg += " (core dumped)"
		}
		fmt.Fprintln(stderr, msg)
		return 255
	}
	return int(min(exit.Status, 255))
}

// settings is the command line and ~/.ssh/config folded together.
type settings struct {
	target  client.Target
	profile *frame.Profile
	host    *hostConfig
	home    string
}

func resolve(o *options) (*settings, error) {
	d, err := parseDestination(o.destination)
	if err != nil {
		return nil, err
	}
	home, _ := os.UserHomeDir()
	hc, err := loadHostConfig(o.configFile, d.host, o.sshOptions, home)
	if err != nil {
		return nil, err
	}
	s := &settings{host: hc, home: home, target: client.Target{Host: d.host, Port: d.port, Path: d.path, User: d.user}}
	t := &s.target
	if hc.HostName != "" {
		t.Host = hc.HostName
	}
	t.User = firstNonEmpty(t.User, o.user, hc.User)
	if t.User == "" {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("who am I: %w", err)
		}
		t.User = u.Username
	}
	if t.Port == 0 {
		t.Port = firstNonZero(o.port, hc.Port, defaultPort)
	}
	t.Path = firstNonEmpty(t.Path, hc.Path, defaultPath)
	name := firstNonEmpty(o.profile, hc.Profile, frame.Alpha.Name())
	if s.profile, err = frame.ProfileByName(name); err != nil {
		return nil, &errUsage{err.Error()}
	}
	return s, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstNonZero(vs ...int) int {
	for _, v := range vs {
		if v != 0 {
			return v
		}
	}
	return 0
}

func (s *settings) clientConfig(ctx context.Context, o *options, tty *terminal, log *slog.Logger, stderr io.Writer) (*client.Config, error) {
	creds, err := credentials(o, s, tty, log)
	if err != nil {
		return nil, err
	}
	known := s.host.UserKnownHostsFile
	if known == "" {
		known = filepath.Join(s.home, ".ssh3", "known_hosts")
	}
	trust := &hosttrust.Config{
		KnownHosts: known,
		Insecure:   o.insecure,
		Warn:       func(err error) { log.Warn(err.Error()) },
	}
	if o.insecure && !o.quiet {
		fmt.Fprintln(stderr, "ssh3: warning: -insecure: the server's certificate is not checked")
	}
	cfg := &client.Config{Target: s.target, Profile: s.profile, Credentials: creds, Trust: trust, Logger: log}
	switch s.host.StrictHostKeyChecking {
	case "no", "accept-new", "off":
		cfg.AskTrust = func(context.Context, hosttrust.PromptInfo) (bool, error) { return true, nil }
	case "yes":
	default:
		cfg.AskTrust = tty.askTrust
	}
	if o.keyLog != "" {
		f, err := os.OpenFile(o.keyLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		cfg.KeyLog = f
	}
	return cfg, nil
}

// sessionConfig decides the pty as ssh does: a pty for an interactive
// shell, -t to force one when stdin is a terminal, -tt always, -T never.
func (s *settings) sessionConfig(o *options, stdin *os.File, stdout, stderr io.Writer, tty *terminal) *session.ClientConfig {
	cfg := &session.ClientConfig{
		Command: strings.Join(o.command, " "), Stdin: stdin, Stdout: stdout, Stderr: stderr,
		ForwardAgent: o.forwardAgent && !o.noAgent, Escape: '~',
	}
	wantPty := (len(o.command) == 0 && tty.isTerminal()) || (o.ttyForce == 1 && tty.isTerminal()) || o.ttyForce >= 2
	if wantPty && !o.ttyNever {
		cfg.Pty = tty.ptyRequest()
	}
	switch {
	case o.escape == "none":
		cfg.Escape = 0
	case len(o.escape) == 2:
		cfg.Escape = o.escape[1] & 0x1f
	case len(o.escape) == 1:
		cfg.Escape = o.escape[0]
	}
	return cfg
}

func newLogger(stderr io.Writer, verbose int, quiet bool) *slog.Logger {
	level := slog.LevelWarn
	switch {
	case quiet:
		level = slog.LevelError
	case verbose == 1:
		level = slog.LevelInfo
	case verbose >= 2:
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

func versionString() string {
	return fmt.Sprintf("ssh3 %s (%s), profiles %s and %s", client.Software.Version, client.Software.Name, frame.Alpha, frame.RTH300)
}

const usage = `usage: ssh3 [options] [user@]host[:port][/path] [command ...]
       ssh3 [options] https://host[:port]/path [command ...]
options: -i identity  -l user  -p port  -F config  -o key=value  -e char|none
         -v -q -V -N -T -t -A -a  -L/-R/-D specs  -J jump
         -profile ssh3-alpha|rth3-00  -insecure  -use-password  -keylog file
`

// fail prints the one-line message ssh users expect and returns 255.
func fail(stderr io.Writer, err error) int {
	var u *errUsage
	if errors.As(err, &u) {
		fmt.Fprintf(stderr, "ssh3: %v\n%s", err, usage)
		return 255
	}
	fmt.Fprintf(stderr, "ssh3: %s\n", describeError(err))
	return 255
}

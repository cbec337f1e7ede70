package bench

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Impl is one implementation, described by command templates. Placeholders:
// {host} {port} {user} {key} (private key file) {authkeys} (authorized_keys
// with the key's public half) {dir} (a private temp dir) {cmd} (the remote
// command, as separate words; may be empty) and, for ours, {bin}.
type Impl struct {
	Name   string
	Server string
	Client string
	// TTYClient is the client template for a pty session (no {cmd});
	// Client with an empty {cmd} if empty.
	TTYClient string
	Ready     *regexp.Regexp // a server stderr line meaning it listens; nil waits readyWait
	Proto     string         // "udp" or "tcp": for picking a free port on loopback
	// FwdClient is the client template for -L forwarding ({lport} to
	// {target}, host:port, also {tport}); empty: not measured.
	FwdClient string
	// UDPClient forwards UDP from {lport} to {target} (the original's
	// -forward-udp); NoUDP says why an implementation has none.
	UDPClient string
	NoUDP     string
	// IdleClient is a client template that connects, opens no session,
	// prints a line once connected and stays; empty: no scale row.
	IdleClient string
	Env        []string // added to the client's and server's environment
	// Trace is how a run is traced for the phase breakdown: TraceQlog,
	// TraceSSHv, or empty (no phases, flights only).
	Trace string
	// PtyNeedsRoot: the server gives pty sessions only when run as root
	// (OpenSSH's sshd); elsewhere the keystroke row is skipped, not failed.
	PtyNeedsRoot bool
	Prepare      func(h *Host) error
	Skip         string // why this implementation cannot run here; empty if it can
}

// readyWait is how long a server without a Ready pattern is given.
const readyWait = time.Second

// Host is what the templates need: keys, user, a private dir, the binaries.
type Host struct {
	Dir      string
	Key      string
	AuthKeys string
	User     string
	Bin      string // directory with ssh3 and ssh3-server

	addedUser bool
}

// NewHost makes a temp dir with a fresh ed25519 key and authorized_keys.
func NewHost(bin string) (*Host, error) {
	dir, err := os.MkdirTemp("", "ssh3-bench-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	h := &Host{Dir: dir, Key: filepath.Join(dir, "id_ed25519"), AuthKeys: filepath.Join(dir, "authorized_keys"), Bin: bin}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "ssh3-bench")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(h.Key, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	if err := os.WriteFile(h.AuthKeys, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		return nil, err
	}
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	h.User = u.Username
	return h, nil
}

// benchUserPrefix names the accounts the bench creates (with its pid).
const benchUserPrefix = "ssh3bench"

// AddUser creates a throwaway account with /bin/sh as its shell and a home
// in the temp dir, so that no shell start-up file of the invoking user
// (root's ~/.bashrc, say) is measured. Root only; Close removes it.
func (h *Host) AddUser() error {
	name := fmt.Sprintf("%s%d", benchUserPrefix, os.Getpid())
	home := filepath.Join(h.Dir, "home")
	if out, err := exec.Command("useradd", "-M", "-d", home, "-s", "/bin/sh", "-p", "*", "-K", "MAIL_DIR=/dev/null", name).CombinedOutput(); err != nil {
		return fmt.Errorf("bench: useradd: %v: %s", err, strings.TrimSpace(string(out)))
	}
	h.User, h.addedUser = name, true
	if err := os.Mkdir(home, 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("chown", name, home).CombinedOutput(); err != nil {
		return fmt.Errorf("bench: chown: %v: %s", err, out)
	}
	return nil
}

// Close removes the temp dir and the account AddUser made.
func (h *Host) Close() error {
	var err error
	if h.addedUser {
		if out, e := exec.Command("userdel", "-f", h.User).CombinedOutput(); e != nil {
			err = fmt.Errorf("bench: userdel %s: %v: %s", h.User, e, out)
		}
		h.addedUser = false
	}
	return errors.Join(err, os.RemoveAll(h.Dir), removeRunDir())
}

// Server is a running server of one implementation.
type Server struct {
	Impl *Impl
	Host string
	Port int
	Dir  string
	Cmd  *exec.Cmd

	mu   sync.Mutex // guards logs
	logs strings.Builder
}

// Logs is what the server wrote to stderr so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Stop ends the server (SIGTERM, then SIGKILL after 3 s).
func (s *Server) Stop() {
	if s.Cmd == nil || s.Cmd.Process == nil {
		return
	}
	_ = s.Cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = s.Cmd.Process.Kill()
		<-done
	}
}

// vars is the template substitution for one server.
func (s *Server) vars(h *Host, clientHost string) map[string]string {
	return map[string]string{"{host}": clientHost, "{port}": fmt.Sprint(s.Port), "{user}": h.User, "{key}": h.Key,
		"{authkeys}": h.AuthKeys, "{dir}": s.Dir, "{bin}": h.Bin}
}

// expand turns a template into argv: it is split into words (single and
// double quotes group), each placeholder replaced, and {cmd} standing alone
// as a word becomes the command's words.
func expand(tmpl string, vars map[string]string, cmd []string) ([]string, error) {
	words, err := splitWords(tmpl)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, w := range words {
		if w == "{cmd}" {
			out = append(out, cmd...)
			continue
		}
		for k, v := range vars {
			w = strings.ReplaceAll(w, k, v)
		}
		if strings.Contains(w, "{cmd}") {
			w = strings.ReplaceAll(w, "{cmd}", strings.Join(cmd, " "))
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, errors.New("bench: empty command template")
	}
	return out, nil
}

// splitWords splits s at spaces outside quotes, like a shell without
// expansions.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("bench: unterminated %c in %q", quote, s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// startServer starts impl's server on n at port (0: a free port on
// loopback) and waits until it is ready.
func startServer(ctx context.Context, n *Net, h *Host, impl *Impl, port int) (*Server, error) {
	if port == 0 {
		p, err := freePort(impl.Proto)
		if err != nil {
			return nil, err
		}
		port = p
	}
	dir, err := os.MkdirTemp(h.Dir, impl.safeName()+"-")
	if err != nil {
		return nil, err
	}
	s := &Server{Impl: impl, Host: n.ClientHost, Port: port, Dir: dir}
	vars := s.vars(h, n.BindHost)
	if impl.Prepare != nil {
		if err := impl.Prepare(&Host{Dir: dir, Key: h.Key, AuthKeys: h.AuthKeys, User: h.User, Bin: h.Bin}); err != nil {
			return nil, err
		}
	}
	argv, err := expand(impl.Server, vars, nil)
	if err != nil {
		return nil, err
	}
	s.Cmd = exec.Command(argv[0], argv[1:]...)
	stderr, err := s.Cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s.Cmd.Stdout = io.Discard
	if len(impl.Env) > 0 {
		s.Cmd.Env = append(os.Environ(), impl.Env...)
	}
	if err := n.startServer(s.Cmd); err != nil {
		return nil, fmt.Errorf("bench: start %s server: %w", impl.Name, err)
	}
	ready := make(chan struct{})
	go s.readLogs(stderr, ready)
	wait := readyWait
	if impl.Ready != nil {
		wait = 30 * time.Second
	}
	select {
	case <-ready:
	case <-time.After(wait):
		if impl.Ready != nil {
			s.Stop()
			return nil, fmt.Errorf("bench: %s server not ready after %v: %s", impl.Name, wait, s.Logs())
		}
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
	return s, nil
}

func (s *Server) readLogs(r io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(r)
	once := false
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		if s.logs.Len() < 1<<16 {
			s.logs.WriteString(line + "\n")
		}
		s.mu.Unlock()
		if !once && s.Impl.Ready != nil && s.Impl.Ready.MatchString(line) {
			once = true
			close(ready)
		}
	}
}

func (i *Impl) safeName() string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' {
			return '_'
		}
		return r
	}, i.Name)
}

// ClientCommand is the client's argv for cmd against s.
func (s *Server) ClientCommand(h *Host, cmd []string) ([]string, error) {
	return expand(s.Impl.Client, s.vars(h, s.Host), cmd)
}

// TTYCommand is the client's argv for an interactive pty session.
func (s *Server) TTYCommand(h *Host) ([]string, error) {
	t := s.Impl.TTYClient
	if t == "" {
		t = s.Impl.Client
	}
	return expand(t, s.vars(h, s.Host), nil)
}

// freePort asks the kernel for a free loopback port of proto.
func freePort(proto string) (int, error) {
	if proto == "tcp" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

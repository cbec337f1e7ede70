package interop

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// account is the throwaway user the servers switch to and the clients run as.
const account = "ssh3-interop"

// world is what every cell shares: the four binaries, the account and its
// key, password and agent, and one server of each implementation.
type world struct {
	ours, orig impl // the binaries of each implementation

	uid, gid uint32
	home     string
	key      string // the account's private key (ed25519)
	keyFP    string // its SHA256 fingerprint, as ssh-add -l prints it
	password string
	agent    string // SSH_AUTH_SOCK of an agent holding key
	askpass  string // a script that prints password
	bigFile  string // 5 MB of random bytes, readable by the account
	bigSum   string // its sha256

	servers     map[string]*server // by implementation name
	agentCmd    *exec.Cmd
	agentExited chan struct{}
	tmp         string
}

// TestMain ends the world after the tests: its servers and agent are
// children of this binary, and would outlive it.
func TestMain(m *testing.M) {
	code := m.Run()
	if theWorld != nil {
		theWorld.close()
	}
	os.Exit(code)
}

// close stops the servers and the agent and removes the world's files.
func (w *world) close() {
	for _, s := range w.servers {
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	if w.agentCmd != nil {
		_ = w.agentCmd.Process.Kill()
		<-w.agentExited
	}
	_ = os.RemoveAll(w.tmp)
}

// impl is one implementation's pair of binaries.
type impl struct {
	name   string // "ours" or "original"
	client string
	server string
}

// server is one running ssh3-server.
type server struct {
	impl   impl
	port   int
	cmd    *exec.Cmd
	log    *lockedBuffer
	exited chan struct{} // closed once the process has been waited for
}

var (
	worldOnce sync.Once
	theWorld  *world
	worldErr  error
	worldSkip string
)

// getWorld sets the world up once per test binary; it skips the test,
// saying why, where the world cannot exist.
func getWorld(t *testing.T) *world {
	t.Helper()
	worldOnce.Do(func() { theWorld, worldSkip, worldErr = newWorld() })
	if worldSkip != "" {
		t.Skip(worldSkip)
	}
	if worldErr != nil {
		t.Fatal(worldErr)
	}
	return theWorld
}

// repoRoot is the module root: this package's parent.
func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Dir(wd)
}

func newWorld() (*world, string, error) {
	if os.Geteuid() != 0 {
		return nil, "interop: needs root (the servers switch to a throwaway account, " + account + ", which the test creates)", nil
	}
	for _, tool := range []string{"useradd", "chpasswd", "ssh-keygen", "ssh-agent", "ssh-add"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, "interop: " + tool + " not found (apt packages passwd and openssh-client)", nil
		}
	}
	peerDir, skip, err := buildPeer()
	if skip != "" || err != nil {
		return nil, skip, err
	}
	tmp, err := os.MkdirTemp("", "ssh3-interop-")
	if err != nil {
		return nil, "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, "", err
	}
	w := &world{tmp: tmp, servers: map[string]*server{}}
	w.orig = impl{name: "original", client: filepath.Join(peerDir, "ssh3"), server: filepath.Join(peerDir, "ssh3-server")}
	if w.ours, err = buildOurs(tmp); err != nil {
		return nil, "", err
	}
	if err := w.makeAccount(); err != nil {
		return nil, "", err
	}
	if err := w.makeFiles(); err != nil {
		return nil, "", err
	}
	if err := w.startAgent(); err != nil {
		return nil, "", err
	}
	for _, im := range []impl{w.ours, w.orig} {
		s, err := w.startServer(im)
		if err != nil {
			return nil, "", err
		}
		w.servers[im.name] = s
	}
	return w, "", nil
}

// buildPeer finds or builds the original's binaries.
func buildPeer() (dir, skip string, err error) {
	script := filepath.Join(repoRoot(), "..", "shared", "peers", "build-original.sh")
	dir = os.Getenv("SSH3_PEER_DIR")
	if dir == "" {
		dir = filepath.Join(repoRoot(), ".peer")
	}
	have := func() bool {
		for _, b := range []string{"ssh3", "ssh3-server"} {
			if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.Mode()&0o111 == 0 {
				return false
			}
		}
		return true
	}
	if _, err := os.Stat(script); err != nil {
		if have() {
			return dir, "", nil
		}
		return "", "interop: the original implementation is absent: set SSH3_PEER_DIR to a folder holding its ssh3 and ssh3-server, or put ../shared/peers/build-original.sh beside this repository", nil
	}
	out, err := exec.Command("bash", script, dir).CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("interop: building the original: %v\n%s", err, out)
	}
	return dir, "", nil
}

func buildOurs(tmp string) (impl, error) {
	bin := filepath.Join(tmp, "bin")
	cmd := exec.Command("go", "build", "-o", bin+"/", "./cmd/ssh3", "./cmd/ssh3-server")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return impl{}, fmt.Errorf("interop: building ours: %v\n%s", err, out)
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		return impl{}, err
	}
	return impl{name: "ours", client: filepath.Join(bin, "ssh3"), server: filepath.Join(bin, "ssh3-server")}, nil
}

// makeAccount creates the account if needed, gives it a fresh password and
// key, and authorizes the key.
func (w *world) makeAccount() error {
	if _, err := user.Lookup(account); err != nil {
		if out, err := exec.Command("useradd", "-m", "-s", "/bin/bash", account).CombinedOutput(); err != nil {
			return fmt.Errorf("interop: useradd: %v: %s", err, out)
		}
	}
	u, err := user.Lookup(account)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	w.uid, w.gid, w.home = uint32(uid), uint32(gid), u.HomeDir
	w.password = "pw-" + randHex(12)
	chp := exec.Command("chpasswd")
	chp.Stdin = strings.NewReader(account + ":" + w.password + "\n")
	if out, err := chp.CombinedOutput(); err != nil {
		return fmt.Errorf("interop: chpasswd: %v: %s", err, out)
	}
	ssh := filepath.Join(w.home, ".ssh")
	_ = os.RemoveAll(ssh)
	w.key = filepath.Join(ssh, "id_ed25519")
	script := fmt.Sprintf(`set -e; mkdir -m 700 %[1]s; ssh-keygen -q -t ed25519 -N "" -C interop -f %[2]s; cp %[2]s.pub %[1]s/authorized_keys; chmod 600 %[1]s/authorized_keys; ssh-keygen -lf %[2]s.pub`, ssh, w.key)
	out, err := w.asUser(exec.Command("sh", "-c", script)).Output()
	if err != nil {
		return fmt.Errorf("interop: key: %v", err)
	}
	if f := strings.Fields(string(out)); len(f) > 1 {
		w.keyFP = f[1]
	}
	return nil
}

// makeFiles writes the askpass script and the 5 MB file.
func (w *world) makeFiles() error {
	w.askpass = filepath.Join(w.tmp, "askpass")
	if err := os.WriteFile(w.askpass, []byte("#!/bin/sh\necho '"+w.password+"'\n"), 0o755); err != nil {
		return err
	}
	data := make([]byte, 5_000_000)
	_, _ = rand.Read(data)
	w.bigFile = filepath.Join(w.tmp, "5m")
	w.bigSum = sha(data)
	return os.WriteFile(w.bigFile, data, 0o644)
}

// startAgent runs an ssh-agent as the account, holding its key.
func (w *world) startAgent() error {
	dir := filepath.Join(w.tmp, "agent")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chown(dir, int(w.uid), int(w.gid)); err != nil {
		return err
	}
	w.agent = filepath.Join(dir, "sock")
	agent := w.asUser(exec.Command("ssh-agent", "-D", "-a", w.agent))
	agent.SysProcAttr.Pdeathsig = syscall.SIGKILL // also if this binary is killed
	if err := agent.Start(); err != nil {
		return err
	}
	w.agentCmd, w.agentExited = agent, make(chan struct{})
	go func() { _ = agent.Wait(); close(w.agentExited) }() // close waits for it
	deadline := time.Now().Add(20 * time.Second)
	for {
		add := w.asUser(exec.Command("ssh-add", w.key))
		add.Env = append(add.Env, "SSH_AUTH_SOCK="+w.agent)
		out, err := add.CombinedOutput()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("interop: ssh-add: %v: %s", err, out)
		}
		time.Sleep(50 * time.Millisecond) // the agent's socket is not there yet
	}
}

// startServer runs im's server as root on a free loopback port, with a
// self-signed certificate and password login, and waits until it listens.
func (w *world) startServer(im impl) (*server, error) {
	dir := filepath.Join(w.tmp, "server-"+im.name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	args := []string{"-bind", fmt.Sprintf("127.0.0.1:%d", port), "-url-path", "/ssh3-term",
		"-generate-selfsigned-cert", "-cert", filepath.Join(dir, "cert.pem"), "-key", filepath.Join(dir, "key.pem"),
		"-enable-password-login"}
	if im.name == "original" {
		args = append(args, "-v") // its log is the evidence of its own output losses
	}
	cmd := exec.Command(im.server, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // also if this binary is killed
	s := &server{impl: im, port: port, cmd: cmd, log: &lockedBuffer{}, exited: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			s.log.Write([]byte(line + "\n"))
			if strings.Contains(line, "listening") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() { _ = cmd.Wait(); _ = pw.Close(); close(s.exited) }()
	select {
	case <-ready:
		return s, nil
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("interop: the %s server did not start listening:\n%s", im.name, s.log.String())
	}
}

// outputLossMark is what the original's server logs (with -v) when it lost
// a command's output: it calls exec.Cmd.Wait while its readers still read
// the command's pipes (cmd/ssh3-server/main.go:313-314), and Wait closes
// them ("read |0: file already closed").
const outputLossMark = "file already closed"

// losses counts the output losses the server has logged so far.
func (s *server) losses() int { return strings.Count(s.log.String(), outputLossMark) }

// alive reports whether the server process still runs.
func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return s.cmd.Process.Signal(syscall.Signal(0)) == nil
	}
}

// asUser makes cmd run as the account, with its home, in its own process
// group (so a cell can end it and its children).
func (w *world) asUser(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: w.uid, Gid: w.gid}, Setpgid: true}
	cmd.Env = []string{"HOME=" + w.home, "USER=" + account, "LOGNAME=" + account, "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.Dir = w.home
	return cmd
}

func freeUDPPort() (int, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port, nil
}

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedBuffer collects output written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	b   []byte
	sig chan struct{}
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.b = append(l.b, p...)
	if l.sig != nil {
		close(l.sig)
		l.sig = nil
	}
	l.mu.Unlock()
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// waitFor waits until the buffer holds s, or ctx ends.
func (l *lockedBuffer) waitFor(ctx context.Context, s string) error {
	for {
		l.mu.Lock()
		if strings.Contains(string(l.b), s) {
			l.mu.Unlock()
			return nil
		}
		if l.sig == nil {
			l.sig = make(chan struct{})
		}
		sig := l.sig
		l.mu.Unlock()
		select {
		case <-sig:
		case <-ctx.Done():
			return errors.New("waiting for " + strconv.Quote(s) + ": " + ctx.Err().Error() + "; got " + strconv.Quote(tail(l.String(), 300)))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

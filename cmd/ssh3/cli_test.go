//go:build !windows

package main

// These tests run the real binaries: an ssh3-server on loopback and the
// ssh3 client against it, checking stdout, stderr and exit codes as a user
// sees them (style #17). Run as root, they create a throwaway account and
// check that sessions run as it; otherwise the server serves its own user.

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/crypto/ssh"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ssh3-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	_ = os.Chmod(dir, 0o755) // other accounts run the binaries too
	build := exec.Command("go", "build", "-o", dir+"/", "github.com/ssh3-project/ssh3/cmd/ssh3", "github.com/ssh3-project/ssh3/cmd/ssh3-server")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binaries:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// env is one server and what a client needs to reach it.
type env struct {
	t       *testing.T
	dir     string
	key     string // private key file
	user    string
	uid     string
	dest    string // user@127.0.0.1:port/path
	server  *exec.Cmd
	srvLogs *bytes.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "cli-test")
	if err != nil {
		t.Fatal(err)
	}
	e.key = filepath.Join(e.dir, "id_ed25519")
	if err := os.WriteFile(e.key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	authLine := ssh.MarshalAuthorizedKey(signer.PublicKey())
	authFile := filepath.Join(e.dir, "authorized_keys")
	args := []string{"-bind", "127.0.0.1:0", "-url-path", "/cli-test", "-cert", filepath.Join(e.dir, "cert.pem"),
		"-key", filepath.Join(e.dir, "priv.key"), "-generate-selfsigned-cert"}
	if os.Geteuid() == 0 {
		e.user = createUser(t)
		u, err := user.Lookup(e.user)
		if err != nil {
			t.Fatal(err)
		}
		sshDir := filepath.Join(u.HomeDir, ".ssh")
		mustRun(t, "install", "-d", "-m", "700", "-o", e.user, sshDir)
		if err := os.WriteFile(filepath.Join(sshDir, "authorized_keys"), authLine, 0o600); err != nil {
			t.Fatal(err)
		}
		mustRun(t, "chown", e.user, filepath.Join(sshDir, "authorized_keys"))
		e.uid = u.Uid
	} else {
		me, _ := user.Current()
		e.user, e.uid = me.Username, me.Uid
		if err := os.WriteFile(authFile, authLine, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-authorized-keys", authFile)
	}
	e.startServer(args)
	return e
}

var testUsers int

// createUser adds a throwaway account, removed when the test ends.
func createUser(t *testing.T) string {
	t.Helper()
	testUsers++
	name := fmt.Sprintf("ssh3cli%d%d", os.Getpid()%10000, testUsers)
	mustRun(t, "useradd", "-m", "-s", "/bin/sh", name)
	t.Cleanup(func() { _ = exec.Command("userdel", "-r", "-f", name).Run() })
	return name
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

func (e *env) startServer(args []string) { e.startServerAs(args, nil) }

// startServerAs starts the server, as another account when cred is set.
func (e *env) startServerAs(args []string, cred *syscall.Credential) {
	t := e.t
	cmd := exec.Command(filepath.Join(binDir, "ssh3-server"), args...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e.server, e.srvLogs = cmd, &bytes.Buffer{}
	addr := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			if m := listening.FindStringSubmatch(s.Text()); m != nil {
				addr <- m[1]
			}
			e.srvLogs.WriteString(s.Text() + "\n")
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	select {
	case a := <-addr:
		e.dest = e.user + "@" + a + "/cli-test"
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start")
	}
}

// ssh3 runs the client with args after the usual options and destination.
func (e *env) ssh3(stdin io.Reader, command ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	args := append([]string{"-insecure", "-i", e.key, e.dest}, command...)
	cmd := exec.Command(filepath.Join(binDir, "ssh3"), args...)
	cmd.Env = append(os.Environ(), "HOME="+e.dir, "SSH_AUTH_SOCK=")
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		e.t.Fatalf("ssh3: %v", err)
	}
	return out.String(), errb.String(), code
}

func TestCLIExec(t *testing.T) {
	e := newEnv(t)
	out, errOut, code := e.ssh3(nil, "echo", "hello")
	if out != "hello\n" || code != 0 {
		t.Errorf("echo: stdout %q stderr %q exit %d", out, errOut, code)
	}
	for _, want := range []int{0, 1, 3, 255} {
		if _, _, code := e.ssh3(nil, fmt.Sprintf("exit %d", want)); code != want {
			t.Errorf("exit %d: got %d", want, code)
		}
	}
	out, errOut, _ = e.ssh3(nil, "echo out; echo err >&2")
	if out != "out\n" || !strings.Contains(errOut, "err\n") || strings.Contains(out, "err") {
		t.Errorf("stderr not kept apart: stdout %q stderr %q", out, errOut)
	}
	out, _, code = e.ssh3(strings.NewReader("data"), "cat")
	if out != "data" || code != 0 {
		t.Errorf("printf data | ssh3 cat: stdout %q exit %d", out, code)
	}
	out, _, _ = e.ssh3(nil, "id -u")
	if strings.TrimSpace(out) != e.uid {
		t.Errorf("remote id -u = %q, want %s", out, e.uid)
	}
	out, _, _ = e.ssh3(nil, "cd; touch made-by-session; stat -c %U made-by-session")
	if strings.TrimSpace(out) != e.user {
		t.Errorf("file owner %q, want %s", out, e.user)
	}
}

func TestCLIBulkOutput(t *testing.T) {
	e := newEnv(t)
	const size = 50 << 20
	out, errOut, code := e.ssh3(nil, fmt.Sprintf("f=$(mktemp); head -c %d /dev/urandom > $f; sha256sum < $f >&2; cat $f; rm $f", size))
	if code != 0 || len(out) != size {
		t.Fatalf("exit %d, %d bytes of stdout; stderr %q", code, len(out), errOut)
	}
	sum := sha256.Sum256([]byte(out))
	if !strings.Contains(errOut, hex.EncodeToString(sum[:])) {
		t.Errorf("sha256 differs: local %x, remote %q", sum, errOut)
	}
}

func TestCLISignalDeath(t *testing.T) {
	e := newEnv(t)
	_, errOut, code := e.ssh3(nil, "kill -9 $$")
	if code != 255 || !strings.Contains(errOut, "killed by signal KILL") {
		t.Errorf("kill -9: exit %d stderr %q", code, errOut)
	}
	if out, _, code := e.ssh3(nil, "echo still serving"); out != "still serving\n" || code != 0 {
		t.Errorf("the server did not survive: %q %d", out, code)
	}
}

// remoteProcesses counts the user's processes running marker.
func remoteProcesses(t *testing.T, user, marker string) int {
	out, _ := exec.Command("pgrep", "-u", user, "-f", marker).Output()
	return len(strings.Fields(string(out)))
}

func TestCLIClientGoneLeavesNothing(t *testing.T) {
	e := newEnv(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			marker := fmt.Sprintf("sleep 3%d1", int(sig))
			cmd := exec.Command(filepath.Join(binDir, "ssh3"), "-insecure", "-i", e.key, e.dest, marker)
			cmd.Env = append(os.Environ(), "HOME="+e.dir, "SSH_AUTH_SOCK=")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 20*time.Second, func() bool { return remoteProcesses(t, e.user, marker) > 0 })
			_ = cmd.Process.Signal(sig)
			_ = cmd.Wait()
			// SIGTERM: the client closes the connection; SIGKILL: the
			// server notices at its idle timeout (30 s) and hangs up.
			waitFor(t, 60*time.Second, func() bool { return remoteProcesses(t, e.user, marker) == 0 })
		})
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestCLIPtySession(t *testing.T) {
	e := newEnv(t)
	cmd := exec.Command(filepath.Join(binDir, "ssh3"), "-insecure", "-i", e.key, e.dest)
	cmd.Env = append(os.Environ(), "HOME="+e.dir, "SSH_AUTH_SOCK=", "TERM=xterm-test")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 100, Rows: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var screen syncBuf
	go func() { _, _ = io.Copy(&screen, tty) }()
	expect := func(s string) {
		t.Helper()
		waitFor(t, 20*time.Second, func() bool { return strings.Contains(screen.String(), s) })
	}
	_, _ = io.WriteString(tty, "echo TERM=$TERM; stty size\r")
	expect("TERM=xterm-test")
	expect("30 100")
	if err := pty.Setsize(tty, &pty.Winsize{Cols: 120, Rows: 40}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // SIGWINCH reaches the client asynchronously
	_, _ = io.WriteString(tty, "stty size\r")
	expect("40 120")
	_, _ = io.WriteString(tty, "\r~.")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		if code := cmd.ProcessState.ExitCode(); code != 255 {
			t.Errorf("~. exit %d, want 255", code)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("~. did not disconnect; screen: %q", screen.String())
	}
}

type syncBuf struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A server not run as root serves its own user, and only that user.
func TestCLINonRootServer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start the server as another account")
	}
	name := createUser(t)
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, user: name, uid: u.Uid}
	e.dir = filepath.Join(u.HomeDir, "cli-test")
	mustRun(t, "install", "-d", "-m", "700", "-o", name, e.dir)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := ssh.MarshalPrivateKey(priv, "cli-test")
	e.key = filepath.Join(e.dir, "id_ed25519")
	if err := os.WriteFile(e.key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	authFile := filepath.Join(e.dir, "authorized_keys")
	if err := os.WriteFile(authFile, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "chown", "-R", name, e.dir)
	var uid, gid uint32
	fmt.Sscan(u.Uid, &uid)
	fmt.Sscan(u.Gid, &gid)
	e.startServerAs([]string{"-bind", "127.0.0.1:0", "-url-path", "/cli-test",
		"-cert", filepath.Join(e.dir, "cert.pem"), "-key", filepath.Join(e.dir, "priv.key"),
		"-generate-selfsigned-cert", "-authorized-keys", filepath.Join(e.dir, "authorized_keys")},
		&syscall.Credential{Uid: uid, Gid: gid})
	out, errOut, code := e.ssh3(nil, "id -u")
	if strings.TrimSpace(out) != u.Uid || code != 0 {
		t.Errorf("own user: stdout %q stderr %q exit %d", out, errOut, code)
	}
	// root, with the same key: refused at authentication (401).
	e.dest = strings.Replace(e.dest, name+"@", "root@", 1)
	_, errOut, code = e.ssh3(nil, "id -u")
	if code != 255 || !strings.Contains(errOut, "permission denied") {
		t.Errorf("other user: stderr %q exit %d, want permission denied", errOut, code)
	}
}

// TestCLIPasswordAskpass: a password checked by PAM, asked through
// SSH_ASKPASS as ssh(1) does when SSH_ASKPASS_REQUIRE=force; a wrong one is
// "permission denied" and exit 255. Root only: it sets an account's password.
func TestCLIPasswordAskpass(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create an account with a password")
	}
	e := &env{t: t, dir: t.TempDir()}
	e.user = createUser(t)
	const password = "Askpass-t3st!"
	chpasswd := exec.Command("chpasswd")
	chpasswd.Stdin = strings.NewReader(e.user + ":" + password + "\n")
	if out, err := chpasswd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v: %s", err, out)
	}
	e.startServer([]string{"-bind", "127.0.0.1:0", "-url-path", "/cli-test", "-cert", filepath.Join(e.dir, "cert.pem"),
		"-key", filepath.Join(e.dir, "priv.key"), "-generate-selfsigned-cert", "-enable-password-login"})
	run := func(answer string) (string, string, int) {
		prog := filepath.Join(e.dir, "askpass-"+fmt.Sprint(len(answer)))
		if err := os.WriteFile(prog, []byte("#!/bin/sh\necho '"+answer+"'\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(binDir, "ssh3"), "-insecure", "-use-password", e.dest, "id", "-un")
		cmd.Env = append(os.Environ(), "HOME="+e.dir, "SSH_AUTH_SOCK=", "SSH_ASKPASS="+prog, "SSH_ASKPASS_REQUIRE=force")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		_ = cmd.Run()
		return out.String(), errb.String(), cmd.ProcessState.ExitCode()
	}
	if out, errs, code := run(password); code != 0 || out != e.user+"\n" {
		t.Errorf("right password: exit %d, stdout %q, stderr %q; server:\n%s", code, out, errs, e.srvLogs)
	}
	if _, errs, code := run("wrong"); code != 255 || !strings.Contains(errs, "permission denied") {
		t.Errorf("wrong password: exit %d, stderr %q", code, errs)
	}
}

package host

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/frame"
)

func TestLoginShellFromPasswd(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwd")
	content := "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/usr/bin/zsh\nbob:x:1001:1001::/home/bob:\nbroken line\n"
	if err := os.WriteFile(pw, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	old := passwdPath
	passwdPath = pw
	t.Cleanup(func() { passwdPath = old })
	for _, tc := range []struct{ user, want string }{
		{"root", "/bin/bash"},
		{"alice", "/usr/bin/zsh"},
		{"bob", DefaultShell},
		{"carol", DefaultShell},
	} {
		if got := loginShell(tc.user); got != tc.want {
			t.Errorf("loginShell(%q) = %q, want %q", tc.user, got, tc.want)
		}
	}
}

func TestLookupAccount(t *testing.T) {
	a, err := CurrentAccount()
	if err != nil {
		t.Fatal(err)
	}
	if a.UID != uint32(os.Getuid()) {
		t.Errorf("UID = %d, want %d", a.UID, os.Getuid())
	}
	if a.Home == "" || a.Shell == "" {
		t.Errorf("account %+v lacks home or shell", a)
	}
	if _, err := LookupAccount("no-such-user-ssh3-test"); !errors.Is(err, ErrNoAccount) {
		t.Errorf("unknown user: err = %v, want ErrNoAccount", err)
	}
}

func TestEnvAllowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"LANG", true}, {"LC_ALL", true}, {"LC_", true}, {"LCX", false}, {"TERM", false},
		{"PATH", false}, {"LD_PRELOAD", false}, {"", false}, {"A=B", false}, {"LC_\x00", false},
	} {
		if got := EnvAllowed(tc.name, DefaultEnvAllow); got != tc.want {
			t.Errorf("EnvAllowed(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	if EnvAllowed("PATH", []string{"*"}) {
		t.Error("PATH allowed by a catch-all pattern")
	}
}

func TestLoginEnv(t *testing.T) {
	a := &Account{Name: "alice", UID: 1000, Home: "/home/alice", Shell: "/bin/bash"}
	got := LoginEnv(a, "xterm", Connection{ClientIP: "127.0.0.1", ClientPort: 5000, ServerIP: "127.0.0.1", ServerPort: 443}, map[string]string{"LANG": "C.UTF-8"})
	want := []string{
		"HOME=/home/alice", "USER=alice", "LOGNAME=alice", "SHELL=/bin/bash", "PATH=" + DefaultPath,
		"MAIL=/var/mail/alice", "TERM=xterm",
		"SSH3_CONNECTION=127.0.0.1 5000 127.0.0.1 443", "SSH_CONNECTION=127.0.0.1 5000 127.0.0.1 443",
		"SSH_CLIENT=127.0.0.1 5000 443", "LANG=C.UTF-8",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("LoginEnv (-want +got):\n%s", d)
	}
}

func TestSignalNames(t *testing.T) {
	for name, sig := range signalNames {
		got, ok := SignalByName(name)
		if !ok || got != sig {
			t.Errorf("SignalByName(%q) = %v, %v", name, got, ok)
		}
		if SignalName(sig) != name {
			t.Errorf("SignalName(%v) = %q, want %q", sig, SignalName(sig), name)
		}
	}
	if _, ok := SignalByName("SIGINT"); ok {
		t.Error("SignalByName accepted a SIG prefix")
	}
}

func self(t *testing.T) *Account {
	t.Helper()
	a, err := CurrentAccount()
	if err != nil {
		t.Fatal(err)
	}
	a.Shell = "/bin/sh"
	return a
}

func run(t *testing.T, command string, stdin string) (stdout, stderr string, exit frame.Request) {
	t.Helper()
	a := self(t)
	p, err := Start(Spec{Account: a, Command: command, Env: LoginEnv(a, "", Connection{}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = io.WriteString(p.Stdin, stdin)
		_ = p.Stdin.Close()
	}()
	var out, errb bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&errb, p.Stderr); close(done) }()
	_, _ = io.Copy(&out, p.Stdout)
	<-done
	ps, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), ExitMessage(ps)
}

func TestStartPipes(t *testing.T) {
	out, errOut, exit := run(t, "cat; echo oops >&2; exit 3", "data\n")
	if out != "data\n" || errOut != "oops\n" {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}
	if d := cmp.Diff(frame.Request(&frame.ExitStatus{Status: 3}), exit); d != "" {
		t.Errorf("exit (-want +got):\n%s", d)
	}
}

func TestExitSignal(t *testing.T) {
	_, _, exit := run(t, "kill -9 $$", "")
	if d := cmp.Diff(frame.Request(&frame.ExitSignal{Signal: "KILL"}), exit); d != "" {
		t.Errorf("exit (-want +got):\n%s", d)
	}
}

func TestCleanEnvironment(t *testing.T) {
	t.Setenv("SSH3_TEST_LEAK", "secret")
	out, _, _ := run(t, "env", "")
	if strings.Contains(out, "SSH3_TEST_LEAK") {
		t.Error("the server's environment leaked into the session")
	}
	if !strings.Contains(out, "LOGNAME=") {
		t.Errorf("login environment missing: %q", out)
	}
}

func TestOtherUserNeedsRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: switching users is allowed")
	}
	a := self(t)
	a.UID++
	if _, err := Start(Spec{Account: a, Command: "true"}); !errors.Is(err, ErrCannotSwitchUser) {
		t.Errorf("err = %v, want ErrCannotSwitchUser", err)
	}
}

func TestPtyModesAndResize(t *testing.T) {
	a := self(t)
	modes := frame.TerminalModes{{Opcode: 53, Arg: 0}}.Append(nil) // ECHO off
	p, err := Start(Spec{
		Account: a, Command: "stty size; stty -a | tr ' ' '\\n' | grep -x -- '-echo'; read x; stty size",
		Env: LoginEnv(a, "xterm", Connection{}, nil),
		Pty: &session.PtySpec{Term: "xterm", Columns: 100, Rows: 30, Modes: modes},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var out bytes.Buffer
	buf := make([]byte, 256)
	readUntil := func(s string) {
		for !strings.Contains(out.String(), s) {
			n, err := p.Stdout.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				t.Fatalf("reading pty: %v; got %q", err, out.String())
			}
		}
	}
	readUntil("-echo")
	if !strings.Contains(out.String(), "30 100") {
		t.Errorf("initial size: %q", out.String())
	}
	if err := p.Resize(120, 40, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(p.Stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	readUntil("40 120")
	ps, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if ps.ExitCode() != 0 {
		t.Errorf("exit code %d; output %q", ps.ExitCode(), out.String())
	}
}

func TestSignalProcessGroup(t *testing.T) {
	a := self(t)
	p, err := Start(Spec{Account: a, Command: "sleep 60 & echo started; wait", Env: LoginEnv(a, "", Connection{}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Stdin.Close()
	// Signal only once the shell runs: before its setsid the group does
	// not exist yet.
	line := make([]byte, len("started\n"))
	if _, err := io.ReadFull(p.Stdout, line); err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, p.Stdout) }()
	go func() { _, _ = io.Copy(io.Discard, p.Stderr) }()
	ps, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(frame.Request(&frame.ExitSignal{Signal: "HUP"}), ExitMessage(ps)); d != "" {
		t.Errorf("exit (-want +got):\n%s", d)
	}
	// The background sleep was in the same group and got the signal too;
	// it is gone once init has reaped it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Kill(-p.Pid(), 0)
		if errors.Is(err, syscall.ESRCH) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still exists: %v", p.Pid(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

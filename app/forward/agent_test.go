package forward_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/agent"

	"github.com/ssh3-project/ssh3/app/client"
	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/app/session"
	"github.com/ssh3-project/ssh3/frame"
)

// testAgent serves a keyring holding one key on a temporary socket.
func testAgent(t *testing.T) (string, string) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: priv, Comment: "forwarded-test-key"}); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "agt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = agent.ServeAgent(kr, c)
			}()
		}
	}()
	return path, "forwarded-test-key"
}

// TestAgentForwarding runs `ssh-add -l` remotely with -A: it lists the
// key of the client's agent, through a server-opened channel (ssh3-alpha)
// or agent-incoming and a client-opened channel (rth3-00). The socket is
// private and gone after the session.
func TestAgentForwarding(t *testing.T) {
	if _, err := exec.LookPath("ssh-add"); err != nil {
		t.Skip("ssh-add not installed")
	}
	f := startServer(t, forward.Policy{}, "")
	sock, comment := testAgent(t)
	profiles(t, func(t *testing.T, p *frame.Profile) {
		var out, errb bytes.Buffer
		cmd := `ssh-add -l; d=$(dirname "$SSH_AUTH_SOCK"); stat -c '%a %U' "$d" "$SSH_AUTH_SOCK"; echo "$SSH_AUTH_SOCK"`
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		exit, err := client.Run(ctx, f.clientConfig(p), &session.ClientConfig{Command: cmd, ForwardAgent: true, Stdout: &out, Stderr: &errb},
			client.Options{Forwards: forward.Options{AgentSocket: sock}})
		if err != nil || exit.Status != 0 {
			t.Fatalf("run: %v %+v stderr %q", err, exit, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 4 || !strings.Contains(lines[0], comment) || !strings.HasPrefix(lines[1], "700 ") || !strings.HasPrefix(lines[2], "600 ") {
			t.Fatalf("output %q", out.String())
		}
		waitFor(t, func() bool { _, err := os.Stat(lines[3]); return os.IsNotExist(err) })
	})
}

// TestAgentRefused: no-agent-forwarding means no SSH_AUTH_SOCK.
func TestAgentRefused(t *testing.T) {
	f := startServer(t, forward.Policy{}, "no-agent-forwarding")
	sock, _ := testAgent(t)
	profiles(t, func(t *testing.T, p *frame.Profile) {
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.Run(ctx, f.clientConfig(p), &session.ClientConfig{Command: `echo "[$SSH_AUTH_SOCK]"`, ForwardAgent: true, Stdout: &out},
			client.Options{Forwards: forward.Options{AgentSocket: sock}})
		if err != nil || out.String() != "[]\n" {
			t.Fatalf("%q %v", out.String(), err)
		}
	})
}

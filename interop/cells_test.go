package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// pair is one direction of the matrix: a client of one implementation
// against a server of another.
type pair struct {
	client impl
	server *server
	// target is the server of the client's own implementation, for jump
	// chains that mix the two.
	target *server
}

func (p pair) String() string { return p.client.name + " → " + p.server.impl.name }

// cell is one thing a user does, run against a pair.
type cell struct {
	name string
	run  func(ctx context.Context, w *world, p pair) error
}

var cells = []cell{
	{"exec, exit 0, stderr apart", func(ctx context.Context, w *world, p pair) error { return execCell(ctx, w, p, 0) }},
	{"exec, exit 1", func(ctx context.Context, w *world, p pair) error { return execCell(ctx, w, p, 1) }},
	{"exec, exit 3", func(ctx context.Context, w *world, p pair) error { return execCell(ctx, w, p, 3) }},
	{"5 MB output, byte-exact", outputCell},
	{"200 kB stdin upload, byte-exact", uploadCell},
	{"pty session: prompt, stty size, exit 7", ptyCell},
	{"password login", passwordCell},
	{"agent forwarding (ssh-add -l)", agentCell},
	{"TCP forward, 5 MB each way", tcpCell},
	{"UDP forward, 50 datagrams", udpCell},
	{"proxy jump: through the server to the client's own", func(ctx context.Context, w *world, p pair) error { return jumpCell(ctx, w, p, p.server, p.target) }},
	{"proxy jump: through the client's own to the server", func(ctx context.Context, w *world, p pair) error { return jumpCell(ctx, w, p, p.target, p.server) }},
}

func execCell(ctx context.Context, w *world, p pair, status int) error {
	cmd := w.clientCmd(ctx, p.client, p.server, opts{}, fmt.Sprintf("echo out; echo err >&2; exit %d", status))
	r, err := run(p.client, cmd, nil)
	switch {
	case err != nil:
		return err
	case r.code != status:
		return fmt.Errorf("exit status %d, want %d; stderr %q", r.code, status, tail(r.stderr, 200))
	case r.stdout != "out\n":
		return fmt.Errorf("stdout %q, want %q", r.stdout, "out\n")
	case !strings.Contains(r.stderr, "err\n"):
		return fmt.Errorf("stderr %q lacks %q", r.stderr, "err\n")
	}
	return nil
}

func outputCell(ctx context.Context, w *world, p pair) error {
	r, err := run(p.client, w.clientCmd(ctx, p.client, p.server, opts{}, "cat "+w.bigFile), nil)
	switch {
	case err != nil:
		return err
	case r.code != 0:
		return fmt.Errorf("exit status %d; stderr %q", r.code, tail(r.stderr, 200))
	case len(r.stdout) != 5_000_000 || sha([]byte(r.stdout)) != w.bigSum:
		return fmt.Errorf("%d bytes of 5000000 arrived, sha256 %s, want %s", len(r.stdout), sha([]byte(r.stdout))[:12], w.bigSum[:12])
	}
	return nil
}

// uploadCell ends the remote reader by count: the original never passes
// stdin EOF on (and our client does not FIN toward it, §6.1).
func uploadCell(ctx context.Context, w *world, p pair) error {
	data := make([]byte, 200_000)
	_, _ = rand.Read(data)
	r, err := run(p.client, w.clientCmd(ctx, p.client, p.server, opts{}, "head -c 200000 | sha256sum"), data)
	switch {
	case err != nil:
		return err
	case r.code != 0:
		return fmt.Errorf("exit status %d; stderr %q", r.code, tail(r.stderr, 200))
	case !strings.HasPrefix(r.stdout, sha(data)):
		return fmt.Errorf("remote sha256 %q, want %s", tail(r.stdout, 80), sha(data))
	}
	return nil
}

// ptyCell drives an interactive shell through a real pty of 37×101.
func ptyCell(ctx context.Context, w *world, p pair) error {
	pr, err := startPty(w.clientCmd(ctx, p.client, p.server, opts{}, ""), 37, 101)
	if err != nil {
		return err
	}
	steps := []struct{ want, send string }{
		{"$ ", "stty size\r"},
		{"37 101", "exit 7\r"},
	}
	for _, s := range steps {
		if err := pr.out.waitFor(ctx, s.want); err != nil {
			_ = pr.cmd.Cancel()
			_, _ = pr.wait()
			return err
		}
		if err := pr.send(s.send); err != nil {
			return err
		}
	}
	code, err := pr.wait()
	if err != nil {
		return err
	}
	if code != 7 {
		return fmt.Errorf("exit status %d, want 7; transcript %q", code, tail(pr.out.String(), 300))
	}
	return nil
}

// passwordCell: our client takes the password from SSH_ASKPASS; the
// original reads it from its terminal only, so it is typed on a pty.
func passwordCell(ctx context.Context, w *world, p pair) error {
	cmd := w.clientCmd(ctx, p.client, p.server, opts{password: true}, "echo logged-in-as-$(id -un)")
	want := "logged-in-as-" + account
	if p.client.name == "ours" {
		r, err := run(p.client, cmd, nil)
		switch {
		case err != nil:
			return err
		case r.code != 0 || strings.TrimSpace(r.stdout) != want:
			return fmt.Errorf("exit status %d, stdout %q; stderr %q", r.code, r.stdout, tail(r.stderr, 200))
		}
		return nil
	}
	pr, err := startPty(cmd, 24, 80)
	if err != nil {
		return err
	}
	if err := pr.out.waitFor(ctx, "password for"); err != nil {
		_ = pr.cmd.Cancel()
		_, _ = pr.wait()
		return err
	}
	if err := pr.send(w.password + "\r"); err != nil {
		return err
	}
	code, err := pr.wait()
	if err != nil {
		return err
	}
	if code != 0 || !strings.Contains(pr.out.String(), want) {
		return fmt.Errorf("exit status %d; transcript %q", code, tail(pr.out.String(), 300))
	}
	return nil
}

func agentCell(ctx context.Context, w *world, p pair) error {
	r, err := run(p.client, w.clientCmd(ctx, p.client, p.server, opts{agent: true}, "ssh-add -l"), nil)
	switch {
	case err != nil:
		return err
	case r.code != 0 || !strings.Contains(r.stdout, w.keyFP):
		return fmt.Errorf("exit status %d, stdout %q, want the key %s; stderr %q", r.code, r.stdout, w.keyFP, tail(r.stderr, 200))
	}
	return nil
}

// tcpCell sends 5 MB through a local forward to a target that hashes them,
// answers the hash and 5 MB of its own, which are checked too. Lengths are
// known, so no half-close is needed (the original passes none on).
func tcpCell(ctx context.Context, w *world, p pair) error {
	const n = 5_000_000
	up, down := make([]byte, n), make([]byte, n)
	_, _ = rand.Read(up)
	_, _ = rand.Read(down)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	targetErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			targetErr <- err
			return
		}
		defer c.Close()
		got := make([]byte, n)
		if _, err := io.ReadFull(c, got); err != nil {
			targetErr <- fmt.Errorf("target read: %w", err)
			return
		}
		sum := sha(got)
		_, err = c.Write(append([]byte(sum), down...))
		targetErr <- err
	}()
	lport, err := freeTCPPort()
	if err != nil {
		return err
	}
	client, err := w.startForwarder(ctx, p, opts{tcp: [2]int{lport, ln.Addr().(*net.TCPAddr).Port}})
	if err != nil {
		return err
	}
	defer client.stop()
	var c net.Conn
	for c == nil {
		c, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", lport))
		if err != nil {
			if e := client.wait(ctx, 50*time.Millisecond); e != nil {
				return fmt.Errorf("the forward never opened: %v", e)
			}
		}
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Until(deadline(ctx))))
	writeErr := make(chan error, 1)
	go func() { _, err := c.Write(up); writeErr <- err }()
	back := make([]byte, 64+n)
	if _, err := io.ReadFull(c, back); err != nil {
		return fmt.Errorf("reading back: %v (target: %v)", err, firstErr(targetErr))
	}
	if err := <-writeErr; err != nil {
		return err
	}
	if string(back[:64]) != sha(up) {
		return fmt.Errorf("the target got other bytes than were sent (sha256 %s)", back[:12])
	}
	if !bytes.Equal(back[64:], down) {
		return errors.New("the target's 5 MB came back different")
	}
	return nil
}

// udpCell echoes 50 datagrams of 1000 bytes through a local forward; each is
// sent again until its echo is back (UDP may drop), and each echo must be
// its datagram, whole.
func udpCell(ctx context.Context, w *world, p pair) error {
	echo, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 65536)
		for {
			n, a, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteTo(buf[:n], a)
		}
	}()
	lport, err := freeUDPPort()
	if err != nil {
		return err
	}
	client, err := w.startForwarder(ctx, p, opts{udp: [2]int{lport, echo.LocalAddr().(*net.UDPAddr).Port}})
	if err != nil {
		return err
	}
	defer client.stop()
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", lport))
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for i := 0; i < 50; i++ {
		msg := make([]byte, 1000)
		_, _ = rand.Read(msg)
		binary.BigEndian.PutUint32(msg, uint32(i))
		for {
			if _, err := c.Write(msg); err != nil && ctx.Err() != nil {
				return err
			}
			_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			n, err := c.Read(buf)
			if err == nil && binary.BigEndian.Uint32(buf) == uint32(i) {
				if !bytes.Equal(buf[:n], msg) {
					return fmt.Errorf("datagram %d came back as %d other bytes", i, n)
				}
				break
			}
			if e := client.wait(ctx, 0); e != nil {
				return fmt.Errorf("datagram %d: no echo: %v", i, e)
			}
		}
	}
	return nil
}

// jumpCell: the client reaches target through jump; the matrix mixes the
// implementations both ways (ours through the original to ours, ours
// through ours to the original, and the same for the original's client).
func jumpCell(ctx context.Context, w *world, p pair, jump, target *server) error {
	r, err := run(p.client, w.clientCmd(ctx, p.client, target, opts{jump: jump}, "echo jumped; exit 4"), nil)
	switch {
	case err != nil:
		return err
	case r.code != 4 || r.stdout != "jumped\n":
		return fmt.Errorf("exit status %d, stdout %q; stderr %q", r.code, r.stdout, tail(r.stderr, 200))
	}
	return nil
}

// forwarder is a client kept running for its forward.
type forwarder struct {
	errb   *lockedBuffer
	exited chan error
	stop   func()
}

// startForwarder runs the client with a forward and a session that keeps
// it up (the original forwards only while a session runs).
func (w *world) startForwarder(ctx context.Context, p pair, o opts) (*forwarder, error) {
	cmd := w.clientCmd(ctx, p.client, p.server, o, "sleep 120")
	f := &forwarder{errb: &lockedBuffer{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = io.Discard, f.errb
	// stdin open and silent: the original ends its session on stdin's EOF.
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdin = pr
	err = cmd.Start()
	_ = pr.Close()
	if err != nil {
		_ = pw.Close()
		return nil, err
	}
	go func() { f.exited <- cmd.Wait() }()
	f.stop = func() {
		_ = cmd.Cancel()
		<-f.exited
		_ = pw.Close()
	}
	return f, nil
}

// wait pauses for d, or less if the client exits or ctx ends; it reports
// either as an error.
func (f *forwarder) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-f.exited:
		f.exited <- err
		return fmt.Errorf("the client exited (%v); stderr %q", err, tail(f.errb.String(), 300))
	case <-ctx.Done():
		return fmt.Errorf("%v; client stderr %q", ctx.Err(), tail(f.errb.String(), 300))
	case <-t.C:
		return nil
	}
}

func deadline(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Now().Add(time.Minute)
	}
	return d
}

func firstErr(c <-chan error) error {
	select {
	case err := <-c:
		return err
	default:
		return nil
	}
}

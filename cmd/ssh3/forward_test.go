//go:build !windows

package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCLIBadForwardSpec: a forwarding option that does not parse is one
// line on stderr and exit 255, before any connection (as ssh).
func TestCLIBadForwardSpec(t *testing.T) {
	for _, args := range [][]string{
		{"-L", "nonsense"},
		{"-L", "1:2:3:4:5"},
		{"-L", "70000:127.0.0.1:80"},
		{"-L", "8080:127.0.0.1:0"},
		{"-L", "[::1:8080:host:80"},
		{"-L", "udp:8080:host"},
		{"-R", "x:host:80"},
		{"-D", "a:b:c"},
		{"-forward-tcp", "8080/127.0.0.1"},
		{"-forward-udp", "8080/notanip@53"},
	} {
		var out, errb bytes.Buffer
		code := run(append(args, "127.0.0.1:1", "true"), os.Stdin, &out, &errb)
		lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
		if code != 255 || len(lines) != 1 || !strings.Contains(lines[0], "specification") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

// freePort is a loopback TCP or UDP port nothing listens on.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestCLIForwards runs the real client with -N -L and -forward-udp against
// the real server and carries a TCP exchange and a UDP echo.
func TestCLIForwards(t *testing.T) {
	e := newEnv(t)
	tcpTarget, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcpTarget.Close()
	go func() {
		for {
			c, err := tcpTarget.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); b, _ := io.ReadAll(c); _, _ = c.Write(append([]byte("got "), b...)) }()
		}
	}()
	udpTarget := udpEcho(t)
	lt, lu := freePort(t, "tcp"), freePort(t, "udp")
	args := []string{"-insecure", "-i", e.key, "-N",
		"-L", strconv.Itoa(lt) + ":127.0.0.1:" + strconv.Itoa(tcpTarget.Addr().(*net.TCPAddr).Port),
		"-forward-udp", strconv.Itoa(lu) + "/127.0.0.1@" + strconv.Itoa(udpTarget.LocalAddr().(*net.UDPAddr).Port),
		e.dest}
	cmd := exec.Command(filepath.Join(binDir, "ssh3"), args...)
	cmd.Env = append(os.Environ(), "HOME="+e.dir, "SSH_AUTH_SOCK=")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	var c net.Conn
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(lt))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("-L never listened: %v; stderr %q", err, errb.String())
	}
	_, _ = c.Write([]byte("hello"))
	_ = c.(*net.TCPConn).CloseWrite()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	b, _ := io.ReadAll(c)
	c.Close()
	if string(b) != "got hello" {
		t.Errorf("-L: %q; stderr %q", b, errb.String())
	}
	u, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(lu))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	_ = u.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 100)
	_, _ = u.Write([]byte("ping"))
	n, err := u.Read(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Errorf("-forward-udp: %q %v; stderr %q", buf[:n], err, errb.String())
	}
}

// TestCLIRemoteUDP runs the real client with -N -R udp:port:host:hostport
// against the real server and carries a UDP echo from the server's side.
func TestCLIRemoteUDP(t *testing.T) {
	e := newEnv(t)
	udpTarget := udpEcho(t)
	ru := freePort(t, "udp")
	args := []string{"-insecure", "-i", e.key, "-N",
		"-R", "udp:" + strconv.Itoa(ru) + ":127.0.0.1:" + strconv.Itoa(udpTarget.LocalAddr().(*net.UDPAddr).Port),
		e.dest}
	cmd := exec.Command(filepath.Join(binDir, "ssh3"), args...)
	cmd.Env = append(os.Environ(), "HOME="+e.dir, "SSH_AUTH_SOCK=")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	u, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(ru))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	buf := make([]byte, 100)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) { // until the server has bound and the echo is back
		_, _ = u.Write([]byte("ping"))
		_ = u.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, err := u.Read(buf); err == nil {
			if string(buf[:n]) != "ping" {
				t.Fatalf("-R udp: %q", buf[:n])
			}
			return
		}
	}
	t.Fatalf("-R udp: no echo; stderr %q", errb.String())
}

// udpEcho is a UDP echo on loopback, closed when the test ends (which ends
// its goroutine).
func udpEcho(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 2000)
		for {
			n, src, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(buf[:n], src)
		}
	}()
	return pc
}

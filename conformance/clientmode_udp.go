package conformance

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// The UDP-forwarding scenario of client-under-test mode (-client-udp-cmd:
// X-ROB-30): the client forwards a local UDP port to a target, and the
// suite, as the server, plays the far end by recording the datagrams of
// the client's direct-udp channels.

// freeUDPPort is a loopback UDP port that was free a moment ago.
func freeUDPPort() (string, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer pc.Close()
	return strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port), nil
}

// oversizedUDP is larger than any QUIC datagram (quic-go sends packets of
// at most 1452 bytes), yet a valid loopback UDP packet.
const oversizedUDP = 9000

// udpTarget is the forward's target the client requests ({thost}
// {tport}); the suite plays that far end itself and dials nothing.
const udpTargetHost, udpTargetPort = "127.0.0.1", "9"

// checkClientUDPOversized: after an oversized packet to the client's local
// UDP forward port, normal packets still travel and the client keeps
// running (X-ROB-30).
func checkClientUDPOversized(t *T, tmpl string) {
	const expected = "a normal packet arrives; a " + "9000-byte packet (too large for a QUIC datagram) is dropped; normal packets after it still arrive; the client keeps running"
	u, err := t.startUDPForward(tmpl)
	if err != nil {
		t.fail(expected, "the client did not run: "+err.Error())
		return
	}
	defer u.stop()
	var obs []string
	before, took := u.await("before-", 10*time.Second)
	obs = append(obs, fmt.Sprintf("channels to %s", u.f.targets()))
	if !before {
		t.fail(expected, joinObs(append(obs, fmt.Sprintf("no normal packet arrived within %s (the forward never carried one); client %s", took.Round(time.Millisecond), u.ended()))))
		return
	}
	obs = append(obs, "first normal packet after "+took.Round(10*time.Millisecond).String())
	n := u.f.payloadCount()
	_, _ = u.sock.Write(bytes.Repeat([]byte("X"), oversizedUDP))
	after, took := u.await("after-", 5*time.Second)
	big := "dropped"
	if u.f.hasPayloadLen(oversizedUDP) {
		big = "arrived whole"
	}
	obs = append(obs, fmt.Sprintf("%d-byte packet: %s; a normal packet after it arrived: %v (%s)", oversizedUDP, big, after, took.Round(10*time.Millisecond)))
	obs = append(obs, fmt.Sprintf("%d payloads in all (%d before the big one)", u.f.payloadCount(), n))
	running := u.running()
	obs = append(obs, fmt.Sprintf("client still running: %v", running))
	if !running {
		obs = append(obs, "client "+u.ended())
	}
	t.expect(after && running, expected, joinObs(obs))
}

// udpRun is the client under test running a UDP forward in the
// background.
type udpRun struct {
	f              *loginFake
	home           string
	sock           net.Conn // the suite's socket toward the forward's local port
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	cancel         context.CancelFunc
	exited         chan struct{}
	exit           int
	start          time.Time
}

// startUDPForward starts the -client-udp-cmd template tmpl against a
// loginFake (any authorization gets 200).
func (t *T) startUDPForward(tmpl string) (_ *udpRun, err error) {
	cert, err := t.s.clientCert()
	if err != nil {
		return nil, err
	}
	lport, err := freeUDPPort()
	if err != nil {
		return nil, err
	}
	u := &udpRun{exited: make(chan struct{}), exit: -1}
	defer func() {
		if err != nil {
			u.stop()
		}
	}()
	if u.f, err = startLoginFake(cert, t.p, ""); err != nil {
		return u, err
	}
	if u.home, err = os.MkdirTemp("", "ssh3-conformance-home-"); err != nil {
		return u, err
	}
	args, err := t.s.fill("-client-udp-cmd", tmpl, t.p, u.f.Addr, false, t.s.clientUser(),
		"{lport}", lport, "{thost}", udpTargetHost, "{tport}", udpTargetPort)
	if err != nil {
		return u, err
	}
	if u.sock, err = net.Dial("udp", net.JoinHostPort("127.0.0.1", lport)); err != nil {
		return u, err
	}
	var ctx context.Context
	ctx, u.cancel = context.WithCancel(t.ctx)
	u.cmd, u.stdout, u.stderr = clientProcess(ctx, args, u.home, nil, nil)
	u.start = time.Now()
	if err := u.cmd.Start(); err != nil {
		return u, err
	}
	go func() {
		err := u.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			u.exit = ee.ExitCode()
		} else if err == nil {
			u.exit = 0
		}
		close(u.exited)
	}()
	return u, nil
}

// running reports whether the client process is still running.
func (u *udpRun) running() bool {
	select {
	case <-u.exited:
		return false
	default:
		return true
	}
}

// ended says how the client ended (or that it still runs).
func (u *udpRun) ended() string {
	if u.running() {
		return "still running after " + time.Since(u.start).Round(10*time.Millisecond).String()
	}
	s := fmt.Sprintf("exit %d after %s", u.exit, time.Since(u.start).Round(10*time.Millisecond))
	if e := strings.TrimSpace(u.stderr.String()); e != "" {
		s += fmt.Sprintf(", stderr %q", trunc(e, 120))
	}
	return s
}

// await sends numbered packets starting with prefix to the forward's local
// port until one of them reaches the suite, the client exits, or wait
// passes; it reports whether one arrived and after how long.
func (u *udpRun) await(prefix string, wait time.Duration) (bool, time.Duration) {
	start := time.Now()
	for i := 0; time.Since(start) < wait && u.running(); i++ {
		_, _ = u.sock.Write([]byte(prefix + strconv.Itoa(i)))
		for j := 0; j < 10; j++ {
			if u.f.hasPayloadPrefix(prefix) {
				return true, time.Since(start)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return u.f.hasPayloadPrefix(prefix), time.Since(start)
}

// stop kills the client's process group, waits for it, and releases the
// fake server, the socket and the home directory.
func (u *udpRun) stop() {
	if u.cmd != nil && u.cmd.Process != nil {
		_ = killGroup(u.cmd)
		<-u.exited
	}
	if u.cancel != nil {
		u.cancel()
	}
	if u.sock != nil {
		u.sock.Close()
	}
	if u.f != nil {
		u.f.Close()
	}
	if u.home != "" {
		os.RemoveAll(u.home)
	}
}

func (f *loginFake) hasPayloadPrefix(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.payloads {
		if bytes.HasPrefix(p, []byte(prefix)) {
			return true
		}
	}
	return false
}

func (f *loginFake) hasPayloadLen(n int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.payloads {
		if len(p) == n {
			return true
		}
	}
	return false
}

func (f *loginFake) payloadCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.payloads)
}

// targets lists the targets of the client's direct-udp channels.
func (f *loginFake) targets() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.udpOpens) == 0 {
		return "(none)"
	}
	return strings.Join(f.udpOpens, ", ")
}

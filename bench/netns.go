package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Addresses the bench gives its two namespaces: 198.18.0.0/15 is reserved
// for benchmarking (RFC 2544), and lives only inside the bench's namespaces.
const (
	ClientAddr = "198.18.0.1"
	ServerAddr = "198.18.0.2"
	tunName    = "ssh3b0"
	tunMTU     = 1500
)

// Methods the output names.
const (
	MethodTUN      = "tun-relay: two network namespaces, TUN devices bridged by the bench with a user-space per-packet delay of RTT/2 each way"
	MethodLoopback = "loopback: no namespaces, no added delay (not root, or network namespaces unavailable)"
)

// Net is where the clients and servers run: two namespaces joined by the
// delay relay, or plain loopback.
type Net struct {
	Method     string
	ClientHost string // the address clients connect to
	BindHost   string // the address servers listen on
	Relay      *Relay // nil on loopback

	names [2]string // client and server namespaces; empty on loopback
	tuns  [2]*tunDev
}

// Loopback is the fallback network: everything on 127.0.0.1, no delay.
func Loopback() *Net {
	return &Net{Method: MethodLoopback, ClientHost: "127.0.0.1", BindHost: "127.0.0.1"}
}

// newNet creates the two namespaces and the relay. Why it could not is the
// error; callers fall back to Loopback. Close removes everything.
func newNet() (n *Net, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("bench: network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, errors.New("bench: ip (iproute2) not found")
	}
	n = &Net{Method: MethodTUN, ClientHost: ServerAddr, BindHost: ServerAddr}
	defer func() {
		if err != nil {
			_ = n.Close()
		}
	}()
	pid := os.Getpid()
	n.names = [2]string{fmt.Sprintf("ssh3b-%d-c", pid), fmt.Sprintf("ssh3b-%d-s", pid)}
	addrs := [2][2]string{{ClientAddr, ServerAddr}, {ServerAddr, ClientAddr}}
	for i, name := range n.names {
		if err := ipCmd("netns", "add", name); err != nil {
			n.names[i] = ""
			return nil, err
		}
		tun, err := openTUN(name, tunName)
		if err != nil {
			return nil, err
		}
		n.tuns[i] = tun
		for _, args := range [][]string{
			{"-n", name, "link", "set", "lo", "up"},
			{"-n", name, "link", "set", tunName, "mtu", fmt.Sprint(tunMTU), "up"},
			{"-n", name, "addr", "add", addrs[i][0], "peer", addrs[i][1], "dev", tunName},
		} {
			if err := ipCmd(args...); err != nil {
				return nil, err
			}
		}
	}
	n.Relay = newRelay(n.tuns[0], n.tuns[1], nil)
	return n, nil
}

// Close stops the relay and deletes the namespaces; safe to call twice.
func (n *Net) Close() error {
	var errs []error
	for i, t := range n.tuns {
		if t != nil {
			errs = append(errs, t.Close())
			n.tuns[i] = nil
		}
	}
	if n.Relay != nil {
		errs = append(errs, n.Relay.Close())
		n.Relay = nil
	}
	for i, name := range n.names {
		if name != "" {
			killNetnsProcs(name)
			errs = append(errs, ipCmd("netns", "del", name))
			n.names[i] = ""
		}
	}
	return errors.Join(errs...)
}

// SetRTT sets the emulated round trip; on loopback only 0 is possible.
func (n *Net) SetRTT(rtt time.Duration) error {
	if n.Relay == nil {
		if rtt != 0 {
			return errors.New("bench: loopback cannot add delay")
		}
		return nil
	}
	n.Relay.SetRTT(rtt)
	return nil
}

// StartClient starts cmd in the client's namespace.
func (n *Net) StartClient(cmd *exec.Cmd) error { return startIn(n.names[0], cmd) }

// startServer starts cmd in the server's namespace.
func (n *Net) startServer(cmd *exec.Cmd) error { return startIn(n.names[1], cmd) }

// startIn starts cmd from a thread that joined namespace ns, so the child
// inherits it without `ip netns exec` adding a process to the timing. The
// thread is never unlocked, so it ends with its goroutine.
func startIn(ns string, cmd *exec.Cmd) error {
	if ns == "" {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := enterNetns(ns); err != nil {
			errc <- err
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

func enterNetns(ns string) error {
	fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bench: open netns %s: %w", ns, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("bench: setns %s: %w", ns, err)
	}
	return nil
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("bench: ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// CleanStale deletes namespaces left by bench processes that no longer run
// (killed with SIGKILL, say). It returns the names it deleted.
func CleanStale() []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil
	}
	var gone []string
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		var pid int
		var side string
		if !strings.HasPrefix(name, "ssh3b-") {
			continue
		}
		if _, err := fmt.Sscanf(strings.ReplaceAll(name, "-", " "), "ssh3b %d %s", &pid, &side); err != nil {
			continue
		}
		if processAlive(pid) {
			continue
		}
		killNetnsProcs(name)
		if ipCmd("netns", "del", name) == nil {
			gone = append(gone, name)
		}
	}
	gone = append(gone, cleanStaleGroups()...)
	return append(gone, cleanStaleUsers()...)
}

// cleanStaleUsers deletes accounts that AddUser made for bench processes
// that no longer run.
func cleanStaleUsers() []string {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return nil
	}
	var gone []string
	for _, line := range strings.Split(string(b), "\n") {
		name, _, _ := strings.Cut(line, ":")
		pid, err := strconv.Atoi(strings.TrimPrefix(name, benchUserPrefix))
		if !strings.HasPrefix(name, benchUserPrefix) || err != nil || processAlive(pid) {
			continue
		}
		if exec.Command("userdel", "-f", name).Run() == nil {
			gone = append(gone, "user "+name)
		}
	}
	return gone
}

// tunDev is a TUN device opened in a namespace; its file is non-blocking
// so that Close wakes a pending read.
type tunDev struct{ f *os.File }

func openTUN(ns, name string) (*tunDev, error) {
	type result struct {
		fd  int
		err error
	}
	res := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := enterNetns(ns); err != nil {
			res <- result{-1, err}
			return
		}
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			res <- result{-1, fmt.Errorf("bench: open /dev/net/tun: %w", err)}
			return
		}
		ifr, err := unix.NewIfreq(name)
		if err == nil {
			ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
			err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)
		}
		if err != nil {
			unix.Close(fd)
			res <- result{-1, fmt.Errorf("bench: TUNSETIFF %s: %w", name, err)}
			return
		}
		res <- result{fd, nil}
	}()
	r := <-res
	if r.err != nil {
		return nil, r.err
	}
	return &tunDev{f: os.NewFile(uintptr(r.fd), ns+"/"+name)}, nil
}

func (t *tunDev) ReadPacket(b []byte) (int, error) { return t.f.Read(b) }
func (t *tunDev) WritePacket(b []byte) error       { _, err := t.f.Write(b); return err }
func (t *tunDev) Close() error                     { return t.f.Close() }

// killNetnsProcs kills every process inside namespace ns: all of them were
// started there by the bench (servers, and the session processes they
// forked, which a vanished peer would otherwise leave waiting).
func killNetnsProcs(ns string) {
	var want unix.Stat_t
	if unix.Stat("/run/netns/"+ns, &want) != nil {
		return
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+e.Name()+"/ns/net", &st) == nil && st.Ino == want.Ino && st.Dev == want.Dev {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	}
}

func processAlive(pid int) bool { return unix.Kill(pid, 0) != unix.ESRCH }

// Sides of the bench's network.
const (
	ClientSide = 0
	ServerSide = 1
)

// In runs f on a thread inside side's namespace (on loopback, here).
// Sockets f creates belong to that namespace and may then be used from
// any goroutine. The thread is never unlocked, so it ends with f.
func (n *Net) In(side int, f func() error) error {
	ns := n.names[side]
	if ns == "" {
		return f()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := enterNetns(ns); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	return <-errc
}

// FreePort is a free port of proto ("tcp" or "udp") on 127.0.0.1 in
// side's namespace.
func (n *Net) FreePort(side int, proto string) (port int, err error) {
	err = n.In(side, func() error {
		port, err = freePort(proto)
		return err
	})
	return port, err
}

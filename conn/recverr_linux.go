package conn

import (
	"net"
	"syscall"
)

// setRecvErr turns the reporting of ICMP errors on a UDP socket on or off
// (IP_RECVERR, IPV6_RECVERR; ip(7)): on, a port unreachable makes the
// next read fail with ECONNREFUSED. Best effort: a socket that refuses the
// option only loses the early failure.
func setRecvErr(pc *net.UDPConn, on bool) {
	rc, err := pc.SyscallConn()
	if err != nil {
		return
	}
	v := 0
	if on {
		v = 1
	}
	_ = rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_IP, syscall.IP_RECVERR, v)
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_IPV6, syscall.IPV6_RECVERR, v)
	})
}

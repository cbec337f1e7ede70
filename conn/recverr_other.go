//go:build !linux

package conn

import "net"

// setRecvErr does nothing where IP_RECVERR does not exist: a port nobody
// listens on fails at the handshake timeout.
func setRecvErr(*net.UDPConn, bool) {}

//go:build !windows

package auth

import (
	"io"
	"net"
)

const defaultAgentSocket = ""

// DialAgentConn connects to the agent socket (a Unix socket).
func DialAgentConn(socket string) (io.ReadWriteCloser, error) { return net.Dial("unix", socket) }

//go:build windows

package auth

import (
	"io"
	"net"
	"os"
	"strings"
)

// defaultAgentSocket is the named pipe OpenSSH for Windows' ssh-agent
// service listens on.
const defaultAgentSocket = `\\.\pipe\openssh-ssh-agent`

// DialAgentConn connects to the agent: a named pipe (\\.\pipe\…, OpenSSH for
// Windows) is opened as a file, anything else is a Unix socket (Windows 10
// has AF_UNIX; Git for Windows' and WSL's agents use one).
func DialAgentConn(socket string) (io.ReadWriteCloser, error) {
	if strings.HasPrefix(socket, `\\.\pipe\`) {
		return os.OpenFile(socket, os.O_RDWR, 0)
	}
	return net.Dial("unix", socket)
}

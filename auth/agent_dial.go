package auth

import "os"

// AgentSocket is where the user's agent listens: $SSH_AUTH_SOCK, or on
// Windows, when that is unset, the named pipe of OpenSSH for Windows'
// agent. Empty when there is none.
func AgentSocket() string {
	if s := os.Getenv(AgentSocketEnv); s != "" {
		return s
	}
	return defaultAgentSocket
}

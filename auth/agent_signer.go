package auth

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// AgentSocketEnv names the environment variable holding the agent socket.
const AgentSocketEnv = "SSH_AUTH_SOCK"

// Agent is a connection to an ssh-agent (protocol notes §4.4). Its Signers
// are ssh.Signer values backed by the agent: they sign the JWS signing input
// through the agent, asking for rsa-sha2-256 (agent.SignatureFlagRsaSha256)
// for RSA keys; [SignJWT] turns the SSH signature into the JWS form (ECDSA
// (r, s) mpints become fixed-size r‖s).
//
// They are ssh.Signer and not crypto.Signer on purpose: an agent signs the
// message and hashes it itself, while crypto.Signer receives a digest.
type Agent struct {
	agent.ExtendedAgent
	conn io.Closer
}

// DialAgent connects to the agent at socket, or at [AgentSocket] when
// socket is empty.
func DialAgent(socket string) (*Agent, error) {
	if socket == "" {
		socket = AgentSocket()
	}
	if socket == "" {
		return nil, fmt.Errorf("auth: %s is not set", AgentSocketEnv)
	}
	c, err := DialAgentConn(socket)
	if err != nil {
		return nil, fmt.Errorf("auth: agent: %w", err)
	}
	return &Agent{ExtendedAgent: agent.NewClient(c), conn: c}, nil
}

// NewAgent wraps an established agent connection.
func NewAgent(rw io.ReadWriteCloser) *Agent {
	return &Agent{ExtendedAgent: agent.NewClient(rw), conn: rw}
}

// Close closes the agent connection.
func (a *Agent) Close() error { return a.conn.Close() }

// UsableSigners returns the agent's keys that SSH3 can sign a JWT with
// (Ed25519, ECDSA P-256/P-384, RSA ≥ MinRSABits), in agent order. With
// none, the error wraps ErrNoKey.
func (a *Agent) UsableSigners() ([]ssh.Signer, error) {
	all, err := a.Signers()
	if err != nil {
		return nil, fmt.Errorf("auth: agent: %w", err)
	}
	var out []ssh.Signer
	for _, s := range all {
		if CheckPublicKey(s.PublicKey()) == nil {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, errors.Join(ErrNoKey, errors.New("auth: the agent holds no usable key"))
	}
	return out, nil
}

// SignerFor returns the agent signer for one public key (as given with
// -pubkey-for-agent), or an error wrapping ErrNoKey.
func (a *Agent) SignerFor(pub ssh.PublicKey) (ssh.Signer, error) {
	all, err := a.UsableSigners()
	if err != nil {
		return nil, err
	}
	want := pub.Marshal()
	for _, s := range all {
		if string(s.PublicKey().Marshal()) == string(want) {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: key %s not in agent", ErrNoKey, ssh.FingerprintSHA256(pub))
}

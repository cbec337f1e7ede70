package auth

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"
)

// ClientContext is what a client credential needs to know about the
// conversation it authenticates.
type ClientContext struct {
	User    string
	Profile Profile
	Binding []byte           // TLS exporter EXPORTER-SSH3, 32 bytes (protocol notes §2.6)
	Now     func() time.Time // nil means time.Now
}

func (c ClientContext) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c ClientContext) jwtParams() JWTParams {
	return JWTParams{Profile: c.Profile, User: c.User, Binding: c.Binding, Now: c.now()}
}

// Credential produces the Authorization header value for one conversation.
type Credential interface {
	Authorization(ctx context.Context, c ClientContext) (string, error)
}

// KeyCredential signs a connection-bound JWT with a private key or an
// ssh-agent key (protocol notes §4.2, §4.4).
type KeyCredential struct {
	Signer ssh.Signer
}

var _ Credential = (*KeyCredential)(nil)

// Authorization returns "Bearer <JWT>".
func (k *KeyCredential) Authorization(_ context.Context, c ClientContext) (string, error) {
	if k.Signer == nil {
		return "", fmt.Errorf("%w: nil signer", ErrNoKey)
	}
	tok, err := SignJWT(k.Signer, c.jwtParams())
	if err != nil {
		return "", err
	}
	return SchemeBearer + " " + tok, nil
}

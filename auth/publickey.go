package auth

import (
	"fmt"

	"golang.org/x/crypto/ssh"
)

// CheckPublicKey reports whether pub is of a kind this project signs and
// verifies tokens with: ed25519, ECDSA P-256 or P-384, or RSA of at least
// 2048 bits (§4.2). Anything else matches ErrUnsupportedKey.
func CheckPublicKey(pub ssh.PublicKey) error {
	switch pub.Type() {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoRSA:
	default:
		return fmt.Errorf("%w: key type %s", ErrUnsupportedKey, pub.Type())
	}
	cpk, err := CryptoPublicKey(pub)
	if err != nil || len(algsForKey(cpk)) == 0 {
		return fmt.Errorf("%w: %s key too small or malformed", ErrUnsupportedKey, pub.Type())
	}
	return nil
}

package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"math/big"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/ssh"
)

// MinRSABits is the smallest RSA modulus accepted on either side.
const MinRSABits = 2048

// jwsSigner adapts an ssh.Signer (a private key file or an ssh-agent key) to
// go-jose's OpaqueSigner. An ssh.Signer signs whole messages, which is what
// an agent offers; the SSH signature blob is then converted to the JWS form
// (protocol notes §4.4): Ed25519 is the raw 64 bytes, rsa-sha2-256 is the
// PKCS #1 v1.5 blob, and ECDSA's SSH (r, s) mpints become fixed-size r‖s.
type jwsSigner struct {
	s   ssh.Signer
	pub crypto.PublicKey
	alg jose.SignatureAlgorithm
}

var _ jose.OpaqueSigner = (*jwsSigner)(nil)

func newJWSSigner(s ssh.Signer) (*jwsSigner, error) {
	pub, err := CryptoPublicKey(s.PublicKey())
	if err != nil {
		return nil, err
	}
	algs := algsForKey(pub)
	if len(algs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedKey, s.PublicKey().Type())
	}
	if _, isRSA := pub.(*rsa.PublicKey); isRSA {
		if _, ok := s.(ssh.AlgorithmSigner); !ok {
			return nil, fmt.Errorf("%w: RSA signer cannot produce rsa-sha2-256", ErrUnsupportedKey)
		}
	}
	return &jwsSigner{s: s, pub: pub, alg: algs[0]}, nil
}

func (j *jwsSigner) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: j.pub, Algorithm: string(j.alg)}
}

func (j *jwsSigner) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{j.alg} }

func (j *jwsSigner) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != j.alg {
		return nil, fmt.Errorf("auth: signer cannot produce %s", alg)
	}
	var sig *ssh.Signature
	var err error
	if alg == jose.RS256 {
		sig, err = j.s.(ssh.AlgorithmSigner).SignWithAlgorithm(rand.Reader, payload, ssh.KeyAlgoRSASHA256)
	} else {
		sig, err = j.s.Sign(rand.Reader, payload)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: sign: %w", err)
	}
	return jwsSignature(alg, sig)
}

// CryptoPublicKey returns the standard library form of an SSH public key.
// Agent keys (*agent.Key) are re-parsed from their wire form.
func CryptoPublicKey(k ssh.PublicKey) (crypto.PublicKey, error) {
	cpk, ok := k.(ssh.CryptoPublicKey)
	if !ok {
		parsed, err := ssh.ParsePublicKey(k.Marshal())
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
		}
		if cpk, ok = parsed.(ssh.CryptoPublicKey); !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnsupportedKey, k.Type())
		}
	}
	return cpk.CryptoPublicKey(), nil
}

// jwsSignature converts an SSH signature to the JWS encoding of alg.
func jwsSignature(alg jose.SignatureAlgorithm, sig *ssh.Signature) ([]byte, error) {
	want := map[jose.SignatureAlgorithm]string{
		jose.EdDSA: ssh.KeyAlgoED25519,
		jose.RS256: ssh.KeyAlgoRSASHA256,
		jose.ES256: ssh.KeyAlgoECDSA256,
		jose.ES384: ssh.KeyAlgoECDSA384,
	}[alg]
	if sig.Format != want {
		return nil, fmt.Errorf("auth: signer returned %q, want %q", sig.Format, want)
	}
	switch alg {
	case jose.ES256:
		return ecdsaFixed(sig.Blob, 32)
	case jose.ES384:
		return ecdsaFixed(sig.Blob, 48)
	case jose.EdDSA:
		if len(sig.Blob) != ed25519.SignatureSize {
			return nil, fmt.Errorf("auth: ed25519 signature of %d bytes", len(sig.Blob))
		}
	}
	return sig.Blob, nil
}

// ecdsaFixed turns the SSH ECDSA signature blob (RFC 5656 §3.1.2: mpint r,
// mpint s) into the JWS form r‖s, each left-padded to size bytes (RFC 7518 §3.4).
func ecdsaFixed(blob []byte, size int) ([]byte, error) {
	var rs struct {
		R, S *big.Int
	}
	if err := ssh.Unmarshal(blob, &rs); err != nil {
		return nil, fmt.Errorf("auth: ecdsa signature blob: %w", err)
	}
	if rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 8*size || rs.S.BitLen() > 8*size {
		return nil, fmt.Errorf("auth: ecdsa signature out of range")
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// algsForKey lists the JWS algorithms a public key may verify, preferred
// first. Any other key type or size gives nil.
func algsForKey(pub crypto.PublicKey) []jose.SignatureAlgorithm {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return []jose.SignatureAlgorithm{jose.EdDSA}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []jose.SignatureAlgorithm{jose.ES256}
		case elliptic.P384():
			return []jose.SignatureAlgorithm{jose.ES384}
		}
	case *rsa.PublicKey:
		if k.N.BitLen() >= MinRSABits {
			return []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.PS384, jose.PS512}
		}
	}
	return nil
}

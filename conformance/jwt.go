package conformance

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/frame"
)

// The suite builds tokens by hand, from the claim table of spec/SPEC.md
// §4.2, with its own code: a bug in the project's token code must not pass
// on both sides. It can then build wrong ones too: it changes the claim
// set and signs it again with the user's key (or not at all).

var b64 = base64.RawURLEncoding

// DecodeJWT splits a compact JWS into its header and claims (the signature
// is not checked).
func DecodeJWT(tok string) (hdr, claims map[string]any, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("%d parts, not 3", len(parts))
	}
	for i, dst := range []*map[string]any{&hdr, &claims} {
		raw, err := b64.DecodeString(parts[i])
		if err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, nil, err
		}
	}
	return hdr, claims, nil
}

// Token timing a valid token of the suite's follows (SPEC §4.2): issued
// 5 s in the past, valid for 30 s from now.
const (
	tokenBackdate = 5 * time.Second
	tokenLifetime = 30 * time.Second
)

// validClaims are the JOSE algorithm of s's key and the claims of a valid
// token for profile p and user on the connection whose binding is bind
// (SPEC §4.2, §2.6): ssh3-alpha iss=user, sub="ssh3", aud="unused",
// client_id="ssh3-<user>"; rth3-00 sub="remote-terminal-<user>"; both iat,
// exp and jti = the binding in standard base64.
func validClaims(s ssh.Signer, p *frame.Profile, user string, bind []byte, now time.Time) (string, map[string]any, error) {
	alg, err := keyAlg(s)
	if err != nil {
		return "", nil, err
	}
	if len(bind) != exporterLen {
		return "", nil, fmt.Errorf("binding of %d bytes, not %d", len(bind), exporterLen)
	}
	claims := map[string]any{
		"iat": now.Add(-tokenBackdate).Unix(),
		"exp": now.Add(tokenLifetime).Unix(),
		"jti": base64.StdEncoding.EncodeToString(bind),
	}
	if p == frame.Alpha {
		claims["iss"], claims["sub"], claims["aud"], claims["client_id"] = user, "ssh3", "unused", "ssh3-"+user
	} else {
		claims["sub"] = "remote-terminal-" + user
	}
	return alg, claims, nil
}

// signValid is a valid token (validClaims, signed with the key's algorithm).
func signValid(s ssh.Signer, p *frame.Profile, user string, bind []byte, now time.Time) (string, error) {
	alg, claims, err := validClaims(s, p, user, bind, now)
	if err != nil {
		return "", err
	}
	return SignClaims(s, alg, claims)
}

// keyAlg is the JOSE algorithm a client signs with for s's key (SPEC §4.2).
func keyAlg(s ssh.Signer) (string, error) {
	switch s.PublicKey().Type() {
	case ssh.KeyAlgoED25519:
		return "EdDSA", nil
	case ssh.KeyAlgoECDSA256:
		return "ES256", nil
	case ssh.KeyAlgoECDSA384:
		return "ES384", nil
	case ssh.KeyAlgoRSA:
		return "RS256", nil
	}
	return "", fmt.Errorf("no JOSE algorithm for a %s key", s.PublicKey().Type())
}

// SignClaims signs claims as a JWS with alg, using s; alg "none" gives an
// empty signature, "HS256" an HMAC keyed with the public key's wire bytes,
// and an alg that does not fit the key a signature made with the key's own
// algorithm.
func SignClaims(s ssh.Signer, alg string, claims map[string]any) (string, error) {
	hb, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64.EncodeToString(hb) + "." + b64.EncodeToString(cb)
	var sig []byte
	switch alg {
	case "none":
	case "HS256":
		m := hmac.New(sha256.New, s.PublicKey().Marshal())
		m.Write([]byte(input))
		sig = m.Sum(nil)
	default:
		sig, err = keySign(s, []byte(input))
		if err != nil {
			return "", err
		}
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// keySign signs with the key's JOSE algorithm (EdDSA, ES256/384 as r‖s,
// RS256).
func keySign(s ssh.Signer, data []byte) ([]byte, error) {
	switch s.PublicKey().Type() {
	case ssh.KeyAlgoRSA:
		as, ok := s.(ssh.AlgorithmSigner)
		if !ok {
			return nil, errors.New("RSA signer without rsa-sha2-256")
		}
		sig, err := as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA256)
		if err != nil {
			return nil, err
		}
		return sig.Blob, nil
	case ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384:
		sig, err := s.Sign(rand.Reader, data)
		if err != nil {
			return nil, err
		}
		var rs struct{ R, S *big.Int }
		if err := ssh.Unmarshal(sig.Blob, &rs); err != nil {
			return nil, err
		}
		n := 32
		if s.PublicKey().Type() == ssh.KeyAlgoECDSA384 {
			n = 48
		}
		out := make([]byte, 2*n)
		rs.R.FillBytes(out[:n])
		rs.S.FillBytes(out[n:])
		return out, nil
	default:
		sig, err := s.Sign(rand.Reader, data)
		if err != nil {
			return nil, err
		}
		return sig.Blob, nil
	}
}

// token builds a token for connection c from the valid claims, changed by
// edit, signed with alg ("" keeps the key's algorithm).
func (t *T) token(c *H3Conn, p *frame.Profile, user, alg string, now time.Time, edit func(map[string]any)) (string, error) {
	if t.s.signer == nil {
		return "", errNoKey
	}
	bind, err := binding(c)
	if err != nil {
		return "", err
	}
	keyAlg, claims, err := validClaims(t.s.signer, p, user, bind, now)
	if err != nil {
		return "", err
	}
	if edit != nil {
		edit(claims)
	}
	if alg == "" {
		alg = keyAlg
	}
	return SignClaims(t.s.signer, alg, claims)
}

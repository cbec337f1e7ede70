package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// DefaultKeyFiles is OpenSSH's default identity list under home, restricted
// to the key types SSH3 can sign with (ssh(1) -i).
// maxKeyFileSize bounds how much of a private key file is read.
const maxKeyFileSize = 1 << 20

func DefaultKeyFiles(home string) []string {
	return []string{
		filepath.Join(home, ".ssh", "id_ed25519"),
		filepath.Join(home, ".ssh", "id_ecdsa"),
		filepath.Join(home, ".ssh", "id_rsa"),
	}
}

// Passphrase is asked for an encrypted key; file names the key.
type Passphrase func(file string) ([]byte, error)

// ParsePrivateKey parses an OpenSSH, PKCS #8, PKCS #1 or SEC 1 PEM private
// key with x/crypto/ssh, asking passphrase (which may be nil) when the key is
// encrypted. Only Ed25519, ECDSA P-256/P-384 and RSA of at least MinRSABits
// are accepted.
func ParsePrivateKey(pemBytes []byte, file string, passphrase Passphrase) (ssh.Signer, error) {
	key, err := ssh.ParseRawPrivateKey(pemBytes)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if passphrase == nil {
			return nil, fmt.Errorf("auth: %s is encrypted and no passphrase source is set", file)
		}
		pw, perr := passphrase(file)
		if perr != nil {
			return nil, fmt.Errorf("auth: passphrase for %s: %w", file, perr)
		}
		key, err = ssh.ParseRawPrivateKeyWithPassphrase(pemBytes, pw)
		clear(pw)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: parse %s: %w", file, err)
	}
	switch k := key.(type) {
	case *ed25519.PrivateKey: // OpenSSH format returns a pointer
		key = *k
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
	default:
		return nil, fmt.Errorf("%w: %s holds a %T", ErrUnsupportedKey, file, key)
	}
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: %w", file, err)
	}
	if err := CheckPublicKey(s.PublicKey()); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return s, nil
}

// LoadKeyFile reads and parses one private key file.
func LoadKeyFile(file string, passphrase Passphrase) (ssh.Signer, error) {
	data, err := ReadFileBounded(file, maxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return ParsePrivateKey(data, file, passphrase)
}

// LoadDefaultKeys loads every key of DefaultKeyFiles(home) that exists.
// Missing files are skipped; other failures are returned alongside the keys
// that did load. With no key at all the error wraps ErrNoKey.
func LoadDefaultKeys(home string, passphrase Passphrase) ([]ssh.Signer, error) {
	var out []ssh.Signer
	var errs []error
	for _, f := range DefaultKeyFiles(home) {
		s, err := LoadKeyFile(f, passphrase)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			errs = append(errs, err)
		default:
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		errs = append(errs, ErrNoKey)
	}
	return out, errors.Join(errs...)
}

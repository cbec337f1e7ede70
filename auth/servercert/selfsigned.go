package servercert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"time"
)

// SelfSignedName is the DNS name reference clients check a pinned
// certificate against (protocol notes §4.6).
const SelfSignedName = "selfsigned.ssh3"

// DefaultValidity matches the reference's 10-year certificates; pinning
// makes the lifetime matter little, and a reference client checks it.
const DefaultValidity = 10 * 365 * 24 * time.Hour

// Organization is the subject organization of generated certificates.
const Organization = "SSH3Organization"

// ErrExists: Generate refuses to overwrite an existing file.
var ErrExists = errors.New("servercert: file already exists")

// Options tune Generate; the zero value is fine.
type Options struct {
	Hosts    []string         // extra DNS names and IP addresses for the SANs
	Validity time.Duration    // 0 means DefaultValidity
	Now      func() time.Time // nil means time.Now
}

// Generate creates an ECDSA P-256 self-signed certificate (SANs
// selfsigned.ssh3, "*", and opts.Hosts) and writes it to certFile and the
// PKCS #8 key to keyFile, both PEM, mode 0600. Existing files are never
// overwritten (ErrExists).
func Generate(certFile, keyFile string, opts Options) (tls.Certificate, error) {
	certPEM, keyPEM, err := NewSelfSigned(opts)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writeNew(keyFile, keyPEM); err != nil {
		return tls.Certificate{}, err
	}
	if err := writeNew(certFile, certPEM); err != nil {
		os.Remove(keyFile)
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// NewSelfSigned returns the PEM certificate and PEM PKCS #8 key without
// writing anything.
func NewSelfSigned(opts Options) (certPEM, keyPEM []byte, err error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	validity := opts.Validity
	if validity == 0 {
		validity = DefaultValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("servercert: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("servercert: %w", err)
	}
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{Organization}},
		NotBefore:             t.Add(-time.Hour),
		NotAfter:              t.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so reference clients can use it as its own root
		DNSNames:              []string{SelfSignedName, "*"},
	}
	for _, h := range opts.Hosts {
		if a, err := netip.ParseAddr(h); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, a.AsSlice())
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("servercert: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("servercert: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), nil
}

func writeNew(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%w: %s", ErrExists, name)
	}
	if err != nil {
		return fmt.Errorf("servercert: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("servercert: %w", err)
	}
	return nil
}

// Load reads a PEM certificate chain and key (-cert / -key).
func Load(certFile, keyFile string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("servercert: %w", err)
	}
	return c, nil
}

// TLSConfig returns a server config serving c for every SNI, with the
// given ALPN protocols (for HTTP/3: "h3").
func TLSConfig(c tls.Certificate, nextProtos ...string) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{c},
		NextProtos:   nextProtos,
		MinVersion:   tls.VersionTLS13,
	}
}

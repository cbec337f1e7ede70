package hosttrust

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CertType is the only entry type in known_hosts.
const CertType = "x509-certificate"

// maxKnownHostsSize bounds the file read.
const maxKnownHostsSize = 4 << 20

// ErrBadLine: a known_hosts line does not parse.
var ErrBadLine = errors.New("hosttrust: malformed known_hosts line")

// HostKey is the known_hosts key of a server: host, port and URL path, the
// host not bracketed even when it is an IPv6 address (reference format,
// vector file-known-hosts-line: "127.0.0.1:4443/ssh3-term").
func HostKey(host string, port int, urlPath string) string {
	return host + ":" + strconv.Itoa(port) + urlPath
}

// AppendLine appends the known_hosts line for der under hostKey, with its
// newline.
func AppendLine(b []byte, hostKey string, der []byte) []byte {
	b = append(b, hostKey...)
	b = append(b, ' ')
	b = append(b, CertType...)
	b = append(b, ' ')
	b = base64.StdEncoding.AppendEncode(b, der)
	return append(b, '\n')
}

// ParseLine splits one line (without its newline) into host key and DER
// bytes. It does not parse the certificate. The encoding is canonical:
// AppendLine of the result reproduces the line exactly.
func ParseLine(line string) (hostKey string, der []byte, err error) {
	f := strings.Split(line, " ")
	// The base64 decoder skips \r and \n; refuse them so the form stays canonical.
	if len(f) != 3 || strings.ContainsAny(line, "\r\n") || f[0] == "" || f[1] != CertType || strings.ContainsAny(f[0], "\t\v\f") {
		return "", nil, fmt.Errorf("%w: want <host>:<port><path> %s <base64>", ErrBadLine, CertType)
	}
	der, err = base64.StdEncoding.Strict().DecodeString(f[2])
	if err != nil || len(der) == 0 {
		return "", nil, fmt.Errorf("%w: bad base64", ErrBadLine)
	}
	return f[0], der, nil
}

// Entry is one certificate of known_hosts.
type Entry struct {
	HostKey string
	Cert    *x509.Certificate
	Index   int // 0-based line index in the file
}

// LineWarning reports a skipped line.
type LineWarning struct {
	File  string
	Index int // 0-based, as the reference reports it
	Err   error
}

func (w *LineWarning) Error() string {
	return fmt.Sprintf("hosttrust: %s: skipping line %d: %v", w.File, w.Index, w.Err)
}

func (w *LineWarning) Unwrap() error { return w.Err }

// Parse reads the content of a known_hosts file. Blank lines and lines
// starting with '#' are ignored; other lines that fail are skipped and
// reported.
func Parse(data []byte, file string) ([]Entry, []*LineWarning) {
	var out []Entry
	var warn []*LineWarning
	for i, raw := range bytes.Split(data, []byte("\n")) {
		line := strings.TrimSuffix(string(raw), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, der, err := ParseLine(line)
		var cert *x509.Certificate
		if err == nil {
			cert, err = x509.ParseCertificate(der)
		}
		if err != nil {
			warn = append(warn, &LineWarning{File: file, Index: i, Err: err})
			continue
		}
		out = append(out, Entry{HostKey: key, Cert: cert, Index: i})
	}
	return out, warn
}

// Load reads and parses a known_hosts file; a missing file is empty.
func Load(file string) ([]Entry, []*LineWarning, error) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("hosttrust: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKnownHostsSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("hosttrust: %w", err)
	}
	if len(data) > maxKnownHostsSize {
		return nil, nil, fmt.Errorf("hosttrust: %s larger than %d bytes", file, maxKnownHostsSize)
	}
	e, w := Parse(data, file)
	return e, w, nil
}

// Add appends a line for der to file, creating the file (0600) and its
// directory (0700) when needed.
func Add(file, hostKey string, der []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("hosttrust: %w", err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("hosttrust: %w", err)
	}
	_, err = f.Write(AppendLine(nil, hostKey, der))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hosttrust: %w", err)
	}
	return nil
}

// Fingerprint is how a certificate is shown to the user:
// "SHA256 <standard base64 of SHA-256(DER)>".
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return "SHA256 " + base64.StdEncoding.EncodeToString(sum[:])
}

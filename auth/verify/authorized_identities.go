package verify

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/ssh3-project/ssh3/auth"
)

// MaxIdentityFileSize bounds how much of an identity file is read.
const MaxIdentityFileSize = 1 << 20

// OIDCIdentity is an `oidc <client_id> <issuer_url> <email>` line
// (protocol notes §4.3, vector file-authorized-identities-oidc).
type OIDCIdentity struct {
	ClientID string
	Issuer   string
	Email    string
}

// AuthorizedIdentity is one usable line of an identity file: exactly one of
// Key and OIDC is set.
type AuthorizedIdentity struct {
	Key  *AuthorizedKey
	OIDC *OIDCIdentity
	File string // where it came from, for the log
	Line int    // 1-based line number
}

// LineError reports a line that was skipped.
type LineError struct {
	File string
	Line int // 1-based
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("auth: %s:%d: %v", e.File, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// ParseIdentityLine parses one line of ~/.ssh3/authorized_identities or
// ~/.ssh/authorized_keys. Blank lines and '#' comments give ok == false and
// no error. A line whose first token is "oidc" must have exactly four tokens;
// any other line is an authorized_keys entry ([ParseAuthorizedKeyLine]).
func ParseIdentityLine(line string) (id AuthorizedIdentity, ok bool, err error) {
	line = strings.TrimRight(line, "\r")
	t := strings.TrimLeft(line, " \t")
	f := strings.Fields(t)
	if len(f) == 0 || t[0] == '#' {
		return id, false, nil
	}
	if f[0] == "oidc" {
		o, err := parseOIDCLine(f)
		if err != nil {
			return id, false, err
		}
		return AuthorizedIdentity{OIDC: o}, true, nil
	}
	k, err := ParseAuthorizedKeyLine(t)
	if err != nil {
		return id, false, err
	}
	return AuthorizedIdentity{Key: k}, true, nil
}

func parseOIDCLine(f []string) (*OIDCIdentity, error) {
	if len(f) != 4 {
		return nil, fmt.Errorf("%w: oidc line needs exactly 4 tokens, has %d", auth.ErrBadLine, len(f))
	}
	u, err := url.Parse(f[2])
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: oidc issuer %s is not an http(s) URL", auth.ErrBadLine, auth.SafeQuote(f[2]))
	}
	if !strings.Contains(f[3], "@") {
		return nil, fmt.Errorf("%w: oidc email %s", auth.ErrBadLine, auth.SafeQuote(f[3]))
	}
	return &OIDCIdentity{ClientID: f[1], Issuer: f[2], Email: f[3]}, nil
}

// ParseIdentities parses a whole file's content. Lines that fail are
// skipped and reported; the rest are returned in file order.
func ParseIdentities(data []byte, file string) ([]AuthorizedIdentity, []*LineError) {
	var ids []AuthorizedIdentity
	var bad []*LineError
	for i, line := range bytes.Split(data, []byte("\n")) {
		id, ok, err := ParseIdentityLine(string(line))
		if err != nil {
			bad = append(bad, &LineError{File: file, Line: i + 1, Err: err})
			continue
		}
		if ok {
			id.File, id.Line = file, i+1
			ids = append(ids, id)
		}
	}
	return ids, bad
}

// LoadIdentities reads the files in order (the server uses
// ~/.ssh3/authorized_identities then ~/.ssh/authorized_keys, protocol notes
// §4.5). A missing file is skipped; any other error opening or reading one
// fails with auth.ErrIdentityFile, and the caller must deny. Files larger than
// MaxIdentityFileSize fail too.
func LoadIdentities(files ...string) ([]AuthorizedIdentity, []*LineError, error) {
	var ids []AuthorizedIdentity
	var bad []*LineError
	for _, name := range files {
		data, err := auth.ReadFileBounded(name, MaxIdentityFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, bad, fmt.Errorf("%w: %v", auth.ErrIdentityFile, err)
		}
		i, b := ParseIdentities(data, name)
		ids, bad = append(ids, i...), append(bad, b...)
	}
	return ids, bad, nil
}

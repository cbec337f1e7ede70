package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BasicAuthorization builds `Basic base64(user ":" password)` (RFC 7617,
// protocol notes §4.1). A user containing ':' or either part containing a
// control character is refused locally.
func BasicAuthorization(user, password string) (string, error) {
	if err := checkBasicParts(user, password); err != nil {
		return "", err
	}
	return SchemeBasic + " " + base64.StdEncoding.EncodeToString([]byte(user+":"+password)), nil
}

// ParseBasic decodes Basic credentials (the part after "Basic ").
func ParseBasic(credentials string) (user, password string, err error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(credentials)
	if err != nil || strings.ContainsAny(credentials, "\r\n") {
		return "", "", fmt.Errorf("%w: basic: bad base64", ErrBadHeader)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", fmt.Errorf("%w: basic: no ':'", ErrBadHeader)
	}
	if err := checkBasicParts(user, password); err != nil {
		return "", "", err
	}
	return user, password, nil
}

func checkBasicParts(user, password string) error {
	switch {
	case user == "":
		return fmt.Errorf("%w: basic: empty user-id", ErrBadHeader)
	case strings.Contains(user, ":"):
		return fmt.Errorf("%w: basic: user-id contains ':'", ErrBadHeader)
	case !utf8.ValidString(user) || !utf8.ValidString(password):
		return fmt.Errorf("%w: basic: not UTF-8", ErrBadHeader)
	case strings.IndexFunc(user, unicode.IsControl) >= 0 || strings.IndexFunc(password, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: basic: control character", ErrBadHeader)
	}
	return nil
}

// PasswordCredential authenticates with a password (HTTP Basic). Password is
// called once per conversation; the cmd layer prompts on the terminal.
type PasswordCredential struct {
	Password func(ctx context.Context, user string) (string, error)
}

var _ Credential = (*PasswordCredential)(nil)

// Authorization returns the Basic header value for c.User.
func (p *PasswordCredential) Authorization(ctx context.Context, c ClientContext) (string, error) {
	pw, err := p.Password(ctx, c.User)
	if err != nil {
		return "", fmt.Errorf("auth: password: %w", err)
	}
	return BasicAuthorization(c.User, pw)
}

package auth

import (
	"fmt"
	"strings"
)

// Authorization schemes understood by the server (protocol notes §4.1–4.3).
const (
	SchemeBasic  = "Basic"
	SchemeBearer = "Bearer"
)

// ParseAuthorization splits an Authorization header value into its scheme
// (returned in the canonical spelling "Basic" or "Bearer"; matched
// case-insensitively, RFC 9110 §11.1) and credentials (token68). Values over
// MaxTokenSize bytes fail with ErrTokenTooLarge before anything else is done.
func ParseAuthorization(v string) (scheme, credentials string, err error) {
	if len(v) > MaxTokenSize+len(SchemeBearer)+1 {
		return "", "", ErrTokenTooLarge
	}
	name, rest, ok := strings.Cut(v, " ")
	if !ok {
		return "", "", fmt.Errorf("%w: no credentials", ErrBadHeader)
	}
	switch {
	case strings.EqualFold(name, SchemeBasic):
		scheme = SchemeBasic
	case strings.EqualFold(name, SchemeBearer):
		scheme = SchemeBearer
	default:
		return "", "", fmt.Errorf("%w: unknown scheme", ErrBadHeader)
	}
	credentials = strings.Trim(rest, " \t")
	if credentials == "" || strings.ContainsAny(credentials, " \t\r\n") {
		return "", "", fmt.Errorf("%w: credentials are not one token", ErrBadHeader)
	}
	return scheme, credentials, nil
}

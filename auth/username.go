package auth

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxUsernameLen is the longest user name accepted, in bytes.
const MaxUsernameLen = 64

// ValidateUsername applies the syntax checks made before any lookup: not
// empty, at most MaxUsernameLen bytes, valid UTF-8, no '/', no "..", no ':',
// no NUL, white space or other control characters, and no leading '-'.
// Non-ASCII names pass here; they are accepted only if the system account
// exists, which the lookup that always follows decides.
func ValidateUsername(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrBadUsername)
	case len(name) > MaxUsernameLen:
		return fmt.Errorf("%w: longer than %d bytes", ErrBadUsername, MaxUsernameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: not UTF-8", ErrBadUsername)
	case strings.HasPrefix(name, "-"):
		return fmt.Errorf("%w: leading '-'", ErrBadUsername)
	case strings.Contains(name, ".."):
		return fmt.Errorf("%w: contains \"..\"", ErrBadUsername)
	case strings.ContainsAny(name, "/:"):
		return fmt.Errorf("%w: contains '/' or ':'", ErrBadUsername)
	case strings.IndexFunc(name, badUserRune) >= 0:
		return fmt.Errorf("%w: control or space character", ErrBadUsername)
	}
	return nil
}

func badUserRune(r rune) bool {
	return unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError || r == '\u2028' || r == '\u2029'
}

// SafeQuote renders untrusted text for logs: bounded and escaped.
func SafeQuote(s string) string {
	const max = 80
	if len(s) > max {
		return strconv.QuoteToASCII(s[:max]) + "…"
	}
	return strconv.QuoteToASCII(s)
}

package session

import "fmt"

// escapeAction is what an escape sequence asked for.
type escapeAction int

const (
	escNone escapeAction = iota
	escDisconnect
	escHelp
)

// escaper recognises OpenSSH's escape sequences in typed input: the escape
// character right after a newline (or at the start), then '.' to
// disconnect, '?' for help, or the escape character again to send it once.
type escaper struct {
	char        byte
	atLineStart bool
	pending     bool // saw the escape character at a line start
}

// filter removes escape sequences from p and reports the first action.
func (e *escaper) filter(p []byte) ([]byte, escapeAction) {
	out := make([]byte, 0, len(p)+1)
	for _, c := range p {
		if e.pending {
			e.pending = false
			switch c {
			case '.':
				return out, escDisconnect
			case '?':
				e.atLineStart = false
				return out, escHelp
			case e.char:
				out = append(out, c)
				e.atLineStart = false
				continue
			default:
				out = append(out, e.char)
			}
		} else if e.atLineStart && c == e.char {
			e.pending = true
			continue
		}
		out = append(out, c)
		e.atLineStart = c == '\r' || c == '\n'
	}
	return out, escNone
}

func escapeHelp(c byte) string {
	return fmt.Sprintf("Supported escape sequences:\r\n %c.   - terminate connection\r\n %c?   - this message\r\n %c%c   - send the escape character by typing it twice\r\n(Note that escapes are only recognized immediately after newline.)\r\n", c, c, c, c)
}

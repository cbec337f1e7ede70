package frame

import "strings"

// Caps is a set of optional behaviours a peer has announced (§6.3). A
// ssh3-alpha peer of unknown make gets none of them: the reference crashes
// or tears the conversation down on each. An rth3-00 peer has all of them.
type Caps uint32

const (
	// CapEOF: stdin EOF as a FIN on the session channel, and 96 accepted.
	CapEOF Caps = 1 << iota
	// CapReply: want-reply answered with 99/100, and those accepted.
	CapReply
	// CapWinch: window-change requests.
	CapWinch
	// CapEnv: env requests.
	CapEnv
	// CapExitSignal: exit-signal sent for a command killed by a signal.
	CapExitSignal
	// CapClose: 97 accepted as closing both directions.
	CapClose
	// CapReverse: reverse-tcp / reverse-udp listener channels (G5).
	CapReverse
	// CapPrivate: requests this package does not know, and 93.
	CapPrivate

	// AllCaps is every capability this package knows.
	AllCaps = CapEOF | CapReply | CapWinch | CapEnv | CapExitSignal | CapClose | CapReverse | CapPrivate
)

var capNames = []struct {
	c    Caps
	name string
}{
	{CapEOF, "eof"}, {CapReply, "reply"}, {CapWinch, "winch"}, {CapEnv, "env"},
	{CapExitSignal, "exitsig"}, {CapClose, "close"}, {CapReverse, "reverse"}, {CapPrivate, "private"},
}

// CapsKey is the key of the version-string field that carries Caps.
const CapsKey = "caps"

// ParseCaps reads a comma-separated list of capability names. Names it does
// not know are ignored, so newer peers stay compatible.
func ParseCaps(s string) Caps {
	var c Caps
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		for _, cn := range capNames {
			if cn.name == name {
				c |= cn.c
			}
		}
	}
	return c
}

// String lists the set as ParseCaps reads it.
func (c Caps) String() string {
	var names []string
	for _, cn := range capNames {
		if c&cn.c != 0 {
			names = append(names, cn.name)
		}
	}
	return strings.Join(names, ",")
}

// Has reports whether every capability in want is in c.
func (c Caps) Has(want Caps) bool { return c&want == want }

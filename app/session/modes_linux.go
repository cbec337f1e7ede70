package session

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ssh3-project/ssh3/frame"
)

// modes is where RFC 4254 §8's opcodes land in Linux's termios.
var modes = &modeTable{
	cc: map[byte]int{
		1: unix.VINTR, 2: unix.VQUIT, 3: unix.VERASE, 4: unix.VKILL, 5: unix.VEOF, 6: unix.VEOL,
		7: unix.VEOL2, 8: unix.VSTART, 9: unix.VSTOP, 10: unix.VSUSP, 12: unix.VREPRINT,
		13: unix.VWERASE, 14: unix.VLNEXT, 18: unix.VDISCARD,
	},
	iflag: map[byte]uint64{
		30: unix.IGNPAR, 31: unix.PARMRK, 32: unix.INPCK, 33: unix.ISTRIP, 34: unix.INLCR,
		35: unix.IGNCR, 36: unix.ICRNL, 37: unix.IUCLC, 38: unix.IXON, 39: unix.IXANY,
		40: unix.IXOFF, 41: unix.IMAXBEL, 42: unix.IUTF8,
	},
	lflag: map[byte]uint64{
		50: unix.ISIG, 51: unix.ICANON, 52: unix.XCASE, 53: unix.ECHO, 54: unix.ECHOE,
		55: unix.ECHOK, 56: unix.ECHONL, 57: unix.NOFLSH, 58: unix.TOSTOP, 59: unix.IEXTEN,
		60: unix.ECHOCTL, 61: unix.ECHOKE, 62: unix.PENDIN,
	},
	oflag: map[byte]uint64{
		70: unix.OPOST, 71: unix.OLCUC, 72: unix.ONLCR, 73: unix.OCRNL, 74: unix.ONOCR, 75: unix.ONLRET,
	},
	cflag: map[byte]uint64{90: unix.CS7, 91: unix.CS8, 92: unix.PARENB, 93: unix.PARODD},
	csize: unix.CSIZE, cs7: unix.CS7, cs8: unix.CS8,
}

func stateOf(t *unix.Termios) termState {
	return termState{cc: t.Cc[:], iflag: uint64(t.Iflag), lflag: uint64(t.Lflag), oflag: uint64(t.Oflag),
		cflag: uint64(t.Cflag), ispeed: t.Ispeed, ospeed: t.Ospeed}
}

// ApplyModes decodes an RFC 4254 §8 blob and applies it to the terminal f
// (a server's pty).
func ApplyModes(f *os.File, blob []byte) error {
	decoded, err := frame.ParseTerminalModes(blob)
	if err != nil {
		return fmt.Errorf("session: terminal modes: %w", err)
	}
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("session: reading terminal modes: %w", err)
	}
	s := stateOf(t)
	for _, m := range decoded {
		modes.apply(&s, m)
	}
	t.Iflag, t.Lflag, t.Oflag, t.Cflag = uint32(s.iflag), uint32(s.lflag), uint32(s.oflag), uint32(s.cflag)
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("session: setting terminal modes: %w", err)
	}
	return nil
}

// ModesOf encodes the terminal f's current settings as an RFC 4254 §8
// blob, for a client's pty-req: the control characters, the input, local,
// output and control flags this platform has, and the line speeds.
func ModesOf(f *os.File) ([]byte, error) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return nil, fmt.Errorf("session: reading terminal modes: %w", err)
	}
	return EncodeModes(t), nil
}

// EncodeModes is the encoding of t.
func EncodeModes(t *unix.Termios) []byte { return modes.encode(stateOf(t)) }

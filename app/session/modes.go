package session

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ssh3-project/ssh3/frame"
)

// Terminal mode opcodes of RFC 4254 §8 and where they land in termios.
var (
	ccModes = map[byte]int{
		1: unix.VINTR, 2: unix.VQUIT, 3: unix.VERASE, 4: unix.VKILL, 5: unix.VEOF, 6: unix.VEOL,
		7: unix.VEOL2, 8: unix.VSTART, 9: unix.VSTOP, 10: unix.VSUSP, 12: unix.VREPRINT,
		13: unix.VWERASE, 14: unix.VLNEXT, 18: unix.VDISCARD,
	}
	iflagModes = map[byte]uint32{
		30: unix.IGNPAR, 31: unix.PARMRK, 32: unix.INPCK, 33: unix.ISTRIP, 34: unix.INLCR,
		35: unix.IGNCR, 36: unix.ICRNL, 37: unix.IUCLC, 38: unix.IXON, 39: unix.IXANY,
		40: unix.IXOFF, 41: unix.IMAXBEL, 42: unix.IUTF8,
	}
	lflagModes = map[byte]uint32{
		50: unix.ISIG, 51: unix.ICANON, 52: unix.XCASE, 53: unix.ECHO, 54: unix.ECHOE,
		55: unix.ECHOK, 56: unix.ECHONL, 57: unix.NOFLSH, 58: unix.TOSTOP, 59: unix.IEXTEN,
		60: unix.ECHOCTL, 61: unix.ECHOKE, 62: unix.PENDIN,
	}
	oflagModes = map[byte]uint32{
		70: unix.OPOST, 71: unix.OLCUC, 72: unix.ONLCR, 73: unix.OCRNL, 74: unix.ONOCR, 75: unix.ONLRET,
	}
	cflagModes = map[byte]uint32{90: unix.CS7, 91: unix.CS8, 92: unix.PARENB, 93: unix.PARODD}
)

// Speed opcodes: accepted and ignored (a pty has no line speed that matters).
const (
	ttyOpISpeed = 128
	ttyOpOSpeed = 129
)

// applyMode sets one decoded mode in t. Opcodes it does not know are
// ignored, as RFC 4254 §8 asks of unknown ones below 160.
func applyMode(t *unix.Termios, m frame.TerminalMode) {
	setFlag := func(flags *uint32, bit uint32) {
		if m.Arg != 0 {
			*flags |= bit
		} else {
			*flags &^= bit
		}
	}
	if i, ok := ccModes[m.Opcode]; ok {
		t.Cc[i] = byte(m.Arg)
		return
	}
	if bit, ok := iflagModes[m.Opcode]; ok {
		setFlag(&t.Iflag, bit)
	} else if bit, ok := lflagModes[m.Opcode]; ok {
		setFlag(&t.Lflag, bit)
	} else if bit, ok := oflagModes[m.Opcode]; ok {
		setFlag(&t.Oflag, bit)
	} else if bit, ok := cflagModes[m.Opcode]; ok {
		if m.Opcode == 90 || m.Opcode == 91 {
			t.Cflag &^= unix.CSIZE
		}
		setFlag(&t.Cflag, bit)
	}
}

// ApplyModes decodes an RFC 4254 §8 blob and applies it to the terminal f.
func ApplyModes(f *os.File, blob []byte) error {
	modes, err := frame.ParseTerminalModes(blob)
	if err != nil {
		return fmt.Errorf("session: terminal modes: %w", err)
	}
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("session: reading terminal modes: %w", err)
	}
	for _, m := range modes {
		applyMode(t, m)
	}
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("session: setting terminal modes: %w", err)
	}
	return nil
}

// ModesOf encodes the terminal f's current settings as an RFC 4254 §8
// blob, for a client's pty-req: the control characters, the input, local,
// output and control flags this package knows, and the line speeds.
func ModesOf(f *os.File) ([]byte, error) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return nil, fmt.Errorf("session: reading terminal modes: %w", err)
	}
	return EncodeModes(t), nil
}

// EncodeModes is the encoding of t; opcodes come out in ascending order.
func EncodeModes(t *unix.Termios) []byte {
	var modes frame.TerminalModes
	add := func(op byte, v uint32) { modes = append(modes, frame.TerminalMode{Opcode: op, Arg: v}) }
	flag := func(flags, bit uint32) uint32 {
		if flags&bit != 0 {
			return 1
		}
		return 0
	}
	for op := byte(1); op < ttyOpISpeed; op++ {
		if i, ok := ccModes[op]; ok {
			add(op, uint32(t.Cc[i]))
		} else if bit, ok := iflagModes[op]; ok {
			add(op, flag(t.Iflag, bit))
		} else if bit, ok := lflagModes[op]; ok {
			add(op, flag(t.Lflag, bit))
		} else if bit, ok := oflagModes[op]; ok {
			add(op, flag(t.Oflag, bit))
		} else if op == 90 {
			add(op, boolArg(t.Cflag&unix.CSIZE == unix.CS7))
		} else if op == 91 {
			add(op, boolArg(t.Cflag&unix.CSIZE == unix.CS8))
		} else if bit, ok := cflagModes[op]; ok {
			add(op, flag(t.Cflag, bit))
		}
	}
	add(ttyOpISpeed, t.Ispeed)
	add(ttyOpOSpeed, t.Ospeed)
	return modes.Append(nil)
}

func boolArg(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

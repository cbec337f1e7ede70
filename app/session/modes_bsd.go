//go:build darwin || freebsd

package session

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// modes is where RFC 4254 §8's opcodes land in the BSD termios (macOS,
// FreeBSD): IUCLC, XCASE, OLCUC and IUTF8 have no bit there and are not
// sent.
var modes = &modeTable{
	cc: map[byte]int{
		1: unix.VINTR, 2: unix.VQUIT, 3: unix.VERASE, 4: unix.VKILL, 5: unix.VEOF, 6: unix.VEOL,
		7: unix.VEOL2, 8: unix.VSTART, 9: unix.VSTOP, 10: unix.VSUSP, 11: unix.VDSUSP, 12: unix.VREPRINT,
		13: unix.VWERASE, 14: unix.VLNEXT, 17: unix.VSTATUS, 18: unix.VDISCARD,
	},
	iflag: map[byte]uint64{
		30: unix.IGNPAR, 31: unix.PARMRK, 32: unix.INPCK, 33: unix.ISTRIP, 34: unix.INLCR,
		35: unix.IGNCR, 36: unix.ICRNL, 38: unix.IXON, 39: unix.IXANY, 40: unix.IXOFF, 41: unix.IMAXBEL,
	},
	lflag: map[byte]uint64{
		50: unix.ISIG, 51: unix.ICANON, 53: unix.ECHO, 54: unix.ECHOE, 55: unix.ECHOK, 56: unix.ECHONL,
		57: unix.NOFLSH, 58: unix.TOSTOP, 59: unix.IEXTEN, 60: unix.ECHOCTL, 61: unix.ECHOKE, 62: unix.PENDIN,
	},
	oflag: map[byte]uint64{70: unix.OPOST, 72: unix.ONLCR, 73: unix.OCRNL, 74: unix.ONOCR, 75: unix.ONLRET},
	cflag: map[byte]uint64{90: unix.CS7, 91: unix.CS8, 92: unix.PARENB, 93: unix.PARODD},
	csize: unix.CSIZE, cs7: unix.CS7, cs8: unix.CS8,
}

// ModesOf encodes the terminal f's current settings as an RFC 4254 §8
// blob, for a client's pty-req.
func ModesOf(f *os.File) ([]byte, error) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TIOCGETA)
	if err != nil {
		return nil, fmt.Errorf("session: reading terminal modes: %w", err)
	}
	return modes.encode(termState{cc: t.Cc[:], iflag: uint64(t.Iflag), lflag: uint64(t.Lflag),
		oflag: uint64(t.Oflag), cflag: uint64(t.Cflag), ispeed: uint32(t.Ispeed), ospeed: uint32(t.Ospeed)}), nil
}

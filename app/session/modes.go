package session

import "github.com/ssh3-project/ssh3/frame"

// Speed opcodes: sent by a client, accepted and ignored by a server (a pty
// has no line speed that matters).
const (
	ttyOpISpeed = 128
	ttyOpOSpeed = 129
)

// modeTable says where the terminal mode opcodes of RFC 4254 §8 land in a
// platform's termios: each platform fills one with the flags it has.
type modeTable struct {
	cc                         map[byte]int // opcode → index in c_cc
	iflag, lflag, oflag, cflag map[byte]uint64
	csize, cs7, cs8            uint64
}

// termState is a terminal's termios, widened to one shape for every
// platform.
type termState struct {
	cc                         []byte
	iflag, lflag, oflag, cflag uint64
	ispeed, ospeed             uint32
}

// encode is s as an RFC 4254 §8 blob; opcodes come out in ascending order.
func (mt *modeTable) encode(s termState) []byte {
	var modes frame.TerminalModes
	add := func(op byte, v uint32) { modes = append(modes, frame.TerminalMode{Opcode: op, Arg: v}) }
	flag := func(flags, bit uint64) uint32 { return boolArg(flags&bit != 0) }
	for op := byte(1); op < ttyOpISpeed; op++ {
		if i, ok := mt.cc[op]; ok && i < len(s.cc) {
			add(op, uint32(s.cc[i]))
		} else if bit, ok := mt.iflag[op]; ok {
			add(op, flag(s.iflag, bit))
		} else if bit, ok := mt.lflag[op]; ok {
			add(op, flag(s.lflag, bit))
		} else if bit, ok := mt.oflag[op]; ok {
			add(op, flag(s.oflag, bit))
		} else if op == 90 {
			add(op, boolArg(s.cflag&mt.csize == mt.cs7))
		} else if op == 91 {
			add(op, boolArg(s.cflag&mt.csize == mt.cs8))
		} else if bit, ok := mt.cflag[op]; ok {
			add(op, flag(s.cflag, bit))
		}
	}
	add(ttyOpISpeed, s.ispeed)
	add(ttyOpOSpeed, s.ospeed)
	return modes.Append(nil)
}

// apply sets one decoded mode in s. Opcodes it does not know are ignored,
// as RFC 4254 §8 asks of unknown ones below 160.
func (mt *modeTable) apply(s *termState, m frame.TerminalMode) {
	set := func(flags *uint64, bit uint64) {
		if m.Arg != 0 {
			*flags |= bit
		} else {
			*flags &^= bit
		}
	}
	if i, ok := mt.cc[m.Opcode]; ok {
		if i < len(s.cc) {
			s.cc[i] = byte(m.Arg)
		}
		return
	}
	if bit, ok := mt.iflag[m.Opcode]; ok {
		set(&s.iflag, bit)
	} else if bit, ok := mt.lflag[m.Opcode]; ok {
		set(&s.lflag, bit)
	} else if bit, ok := mt.oflag[m.Opcode]; ok {
		set(&s.oflag, bit)
	} else if bit, ok := mt.cflag[m.Opcode]; ok {
		if m.Opcode == 90 || m.Opcode == 91 {
			s.cflag &^= mt.csize
		}
		set(&s.cflag, bit)
	}
}

func boolArg(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

package session

import (
	"testing"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/ssh3-project/ssh3/frame"
)

// Encoding a terminal's modes and applying them to a fresh terminal gives
// that terminal the same settings, for everything RFC 4254 §8 names.
func TestModesRoundTrip(t *testing.T) {
	src, srcTTY, err := pty.Open()
	if err != nil {
		t.Skip("no pty:", err)
	}
	defer src.Close()
	defer srcTTY.Close()
	st, err := unix.IoctlGetTermios(int(srcTTY.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	st.Lflag &^= unix.ECHO | unix.ICANON
	st.Iflag |= unix.IXANY
	st.Cc[unix.VINTR] = 7
	if err := unix.IoctlSetTermios(int(srcTTY.Fd()), unix.TCSETS, st); err != nil {
		t.Fatal(err)
	}
	blob, err := ModesOf(srcTTY)
	if err != nil {
		t.Fatal(err)
	}
	modes, err := frame.ParseTerminalModes(blob)
	if err != nil {
		t.Fatal(err)
	}
	if len(modes) < 40 {
		t.Errorf("only %d modes encoded", len(modes))
	}
	dst, dstTTY, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	defer dstTTY.Close()
	if err := ApplyModes(dstTTY, blob); err != nil {
		t.Fatal(err)
	}
	dt, _ := unix.IoctlGetTermios(int(dstTTY.Fd()), unix.TCGETS)
	want, got := EncodeModes(st), EncodeModes(dt)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("modes after apply (-want +got):\n%s", d)
	}
	if dt.Lflag&unix.ECHO != 0 || dt.Cc[unix.VINTR] != 7 || dt.Iflag&unix.IXANY == 0 {
		t.Errorf("settings not applied: lflag %x iflag %x VINTR %d", dt.Lflag, dt.Iflag, dt.Cc[unix.VINTR])
	}
}

package forward_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ssh3-project/ssh3/app/forward"
	"github.com/ssh3-project/ssh3/frame"
)

// longSize is what TestLong1GiB moves per forward and profile.
const longSize = 1 << 30

// TestLong1GiB moves 1 GiB through -L and through -R in each profile; the
// target hashes what it receives and answers with the hash, which must
// equal the sender's. It runs only with SSH3_LONG=1: under -race on two
// cores it takes minutes (TestLocalBulk and TestReverse are the CI size).
func TestLong1GiB(t *testing.T) {
	if os.Getenv("SSH3_LONG") != "1" {
		t.Skip("set SSH3_LONG=1 to move 1 GiB through -L and -R")
	}
	f := startServer(t, forward.Policy{}, "")
	profiles(t, func(t *testing.T, p *frame.Profile) {
		target := hashingTarget(t)
		fc, _ := connect(t, f, p)
		t.Run("L", func(t *testing.T) {
			addr := localForward(t, fc, "tcp", portOf(target.Addr()))
			el := sendHashed(t, addr, longSize, 11)
			t.Logf("%s: -L 1 GiB, equal sha256, in %v: %.1f MB/s", p, el.Round(time.Millisecond), float64(longSize)/el.Seconds()/1e6)
		})
		t.Run("R", func(t *testing.T) {
			rf, err := fc.ListenRemote(context.Background(), forward.Spec{Network: "tcp", Host: "127.0.0.1", Port: portOf(target.Addr())})
			if err != nil {
				t.Fatal(err)
			}
			defer rf.Close()
			el := sendHashed(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(rf.Port)), longSize, 12)
			t.Logf("%s: -R 1 GiB, equal sha256, in %v: %.1f MB/s", p, el.Round(time.Millisecond), float64(longSize)/el.Seconds()/1e6)
		})
	})
}

// hashingTarget answers every connection with the sha256 of what it read
// up to EOF.
func hashingTarget(t testing.TB) net.Listener {
	ln := listenTCP(t)
	serveTCP(ln, func(c net.Conn) {
		defer c.Close()
		h := sha256.New()
		if _, err := io.Copy(h, c); err != nil {
			return
		}
		_, _ = c.Write(h.Sum(nil))
	})
	return ln
}

// sendHashed sends size pseudo-random bytes to addr, half-closes and
// checks that the answer is their sha256; it returns the time taken.
func sendHashed(t testing.TB, addr string, size int64, seed byte) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(&prng{r: rand.NewChaCha8([32]byte{seed})}, size), h)
	start := time.Now()
	if _, err := io.Copy(c, src); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	if !bytes.Equal(got, h.Sum(nil)) {
		t.Fatalf("sha256 at the target %x, sent %x", got, h.Sum(nil))
	}
	return el
}

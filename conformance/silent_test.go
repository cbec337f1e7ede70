package conformance

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/frame"
)

// TestSilentTarget: a target that swallows every packet makes every check
// fail (or skip) within its timeout; the suite never hangs.
func TestSilentTarget(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() { // swallow
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	s, err := New(Config{
		Target:  Target{URL: fmt.Sprintf("https://%s/ssh3-term", pc.LocalAddr()), User: "nobody", Profile: "rth3-00", Insecure: true},
		Signer:  signer,
		Timeout: 500 * time.Millisecond,
		Run:     regexp.MustCompile(`^(R-3-3|R-3-7|X-ROB-1|X-ROB-8|X-ROB-21|X-ROB-17|P-G17-1)$`),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	r := s.RunServer(context.Background(), frame.RTH300)
	took := time.Since(start)
	if len(r.Checks) != 7 {
		t.Fatalf("%d checks ran, want 7", len(r.Checks))
	}
	for _, c := range r.Checks {
		// After the first harmful check's probe finds it dead, the
		// remaining harmful checks are not run: they say so.
		if c.Result != Fail && !(c.Result == Skip && strings.Contains(c.Detail, "has been dead since")) {
			t.Errorf("%s: %s against a silent target: %s", c.ID, c.Result, c.Detail)
		}
	}
	// Harmful checks run one by one with a probe each; every step is
	// bounded by the timeout plus the suite's grace period.
	if took > 40*time.Second {
		t.Errorf("the run took %s against a silent target", took)
	}
	t.Logf("silent target: %s in %s", r.Summary(), took)
}

package conformance

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/ssh3-project/ssh3/frame"
)

// lifecycleChecks cover the end of conversations (spec/SPEC.md §2.7, G10):
// X-ROB-33 to X-ROB-36.
func lifecycleChecks() []def {
	return []def{
		{ID: "X-ROB-33", Name: "VanishedClientCleanedUp", run: checkVanishedClient, Harmful: true, Timeout: 90 * time.Second,
			SlowOnly: "waits out the target's idle timeout (30 s + grace); run with -slow"},
		{ID: "X-ROB-34", Name: "ClosingConnectEndsOnlyIt", run: checkCloseConnect, Harmful: true, Timeout: 60 * time.Second},
		{ID: "X-ROB-35", Name: "KilledCommandExitSignal", run: withConv(checkExitSignal), Harmful: true},
		{ID: "X-ROB-36", Name: "StdinEOFKeepsOutput", run: withConv(checkStdinEOF)},
	}
}

// marker is a sleep duration unique to one check, so that a later session
// can look for the process with pgrep.
func marker() string { return fmt.Sprintf("%d.%03d", 600+rand.IntN(300), rand.IntN(1000)) }

// processGone asks the target, from a new conversation, whether a process
// running `sleep m` still exists within wait.
func (t *T) processGone(m string, wait time.Duration) (bool, string) {
	cv, err := t.connectOK()
	if err != nil {
		return false, "second conversation: " + Describe(err)
	}
	// "[s]leep" keeps pgrep from matching this very shell's command line.
	pat := "[s]" + "leep " + strings.ReplaceAll(m, ".", "[.]")
	cmd := fmt.Sprintf(`i=0; while pgrep -f "%s" >/dev/null 2>&1; do i=$((i+1)); [ $i -ge %d ] && exit 1; sleep 0.1; done; command -v pgrep >/dev/null || exit 2; exit 0`, pat, int(wait/(100*time.Millisecond)))
	res := cv.Exec(cmd, nil)
	switch {
	case res.Status != nil && *res.Status == 0:
		return true, "process gone"
	case res.Status != nil && *res.Status == 2:
		return true, "pgrep not available on the target; the process could not be looked for"
	default:
		return false, "process still running: " + res.Summary()
	}
}

func checkVanishedClient(t *T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.fail("socket", err.Error())
		return
	}
	c, err := t.dial(DialConfig{PacketConn: pc, IdleTimeout: 120 * time.Second})
	if err != nil {
		pc.Close()
		t.fail("handshake", Describe(err))
		return
	}
	cv, err := t.connectOn(c, t.p)
	if err != nil || cv.Resp.Status/100 != 2 {
		t.fail("2xx", Describe(err))
		return
	}
	m := marker()
	if _, err := cv.Open(frame.ChannelSession, nil, &frame.Exec{WantReply: true, Command: "sleep " + m}); err != nil {
		t.fail("exec", Describe(err))
		return
	}
	time.Sleep(500 * time.Millisecond)
	pc.Close() // vanish: no CONNECTION_CLOSE, no more packets
	gone, desc := t.processGone(m, 40*time.Second)
	t.expect(gone, "the process is gone within idle timeout + grace", desc)
}

func checkCloseConnect(t *T) {
	var obs, bad []string
	for _, how := range []string{"FIN on the CONNECT stream", "reset of the CONNECT stream", "CONNECTION_CLOSE"} {
		cv := t.mustConv()
		if cv == nil {
			return
		}
		other := t.mustConv()
		if other == nil {
			return
		}
		m := marker()
		ch, err := cv.Open(frame.ChannelSession, nil, &frame.Exec{WantReply: true, Command: "sleep " + m})
		if err != nil {
			bad = append(bad, how+": "+Describe(err))
			continue
		}
		if _, err := ch.Read(); err != nil { // 91
			bad = append(bad, how+": no 91: "+Describe(err))
			continue
		}
		time.Sleep(200 * time.Millisecond)
		switch how {
		case "FIN on the CONNECT stream":
			_ = cv.Req.Close()
		case "reset of the CONNECT stream":
			cv.Req.CancelWrite(0x10c)
			cv.Req.CancelRead(0x10c)
		default:
			cv.C.Close()
		}
		var chDesc string
		if how != "CONNECTION_CLOSE" {
			ctx, cancel := t.sub(3 * time.Second)
			_, err := waitEnd(ctx, ch.St, 4096)
			cancel()
			chDesc = "channel → " + Describe(err)
			if IsTimeout(err) {
				bad = append(bad, how+": its channel did not end")
			}
		}
		gone, desc := t.processGone(m, 4*time.Second)
		res := other.Exec("echo other", nil)
		obs = append(obs, fmt.Sprintf("%s: %s; %s; other conversation: %s", how, chDesc, desc, res.Summary()))
		if !gone {
			bad = append(bad, how+": "+desc)
		}
		if !res.ok() {
			bad = append(bad, how+": the other conversation was affected")
		}
	}
	t.verdict("its channels end and processes stop promptly (0x10c, G10); other conversations carry on", obs, bad)
}

func checkExitSignal(t *T, cv *Conv) {
	res := cv.Exec("kill -9 $$", nil)
	t.expect(res.Signal == "KILL" && res.Err == nil, "exit-signal KILL; the server survives (liveness probe)", res.Summary())
}

// checkStdinEOF: `cat`, DATA "abc", then FIN on the client's side. In
// ssh3-alpha this runs only because the suite announces caps=eof (N2).
func checkStdinEOF(t *T, cv *Conv) {
	ch, err := cv.Open(frame.ChannelSession, nil, &frame.Exec{WantReply: true, Command: "cat; echo end"}, &frame.Data{Data: []byte("abc")})
	if err != nil {
		t.fail("channel", Describe(err))
		return
	}
	_ = ch.St.Close()
	res := ch.Collect()
	if res.ok() && res.Stdout.String() == "abcend\n" {
		t.pass(`DATA "abc" comes back, then exit-status 0`, res.Summary())
		return
	}
	t.fail(`DATA "abc" comes back, then exit-status 0`, res.Summary()+" "+strings.TrimSpace(""))
}

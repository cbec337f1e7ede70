package conformance

import (
	"strings"
	"testing"
)

// ownServer is a ssh3-alpha version header that announces capabilities:
// a server that took on this project's rules.
const ownServer = originalServer + " caps=eof,reply"

// failedPart is the part of a failed row's observed that lists what
// failed (verdict writes "BAD (all: EVERYTHING)").
func failedPart(c Check) string {
	before, _, _ := strings.Cut(c.Observed, " (all: ")
	return before
}

// TestProjectRulesNAWithoutCaps: a row that checks one of this project's
// own decisions is n/a against a server that never took them on (it
// announces no capabilities), with the reason; the same behaviour from a
// server that announces capabilities still fails. The fake confirms any
// channel, as the original does: P-N3-2 (a maximum of 100 confirmed) and
// P-G2-2 (x-probe confirmed, no 92); it takes any Bearer token, so P-AUTH-6
// (a 400 s lifetime) gets 200.
func TestProjectRulesNAWithoutCaps(t *testing.T) {
	ids := []string{"P-N3-2", "P-G2-2", "P-AUTH-6"}
	run := `^(P-N3-2|P-G2-2|P-AUTH-6)$`
	t.Run("no caps", func(t *testing.T) {
		o := startOriginalLike(t, false, false)
		_, r := runAgainst(t, o.Addr, run)
		for _, id := range ids {
			c := checkOf(t, r, id)
			if c.Result != NA || !strings.Contains(c.Detail, "never promised") || c.Observed == "" {
				t.Errorf("%s %s against a server without caps: observed %q, detail %q", id, c.Result, c.Observed, c.Detail)
			}
		}
	})
	t.Run("caps", func(t *testing.T) {
		o := startOriginalLike(t, false, false, func(o *originalLike) { o.server = ownServer })
		_, r := runAgainst(t, o.Addr, run)
		for _, id := range ids {
			if c := checkOf(t, r, id); c.Result != Fail {
				t.Errorf("%s %s against a server that announces caps: %s %s", id, c.Result, c.Observed, c.Detail)
			}
		}
	})
}

// TestZeroLeewayNoFailure: SPEC.md's 30 s JWT leeway is this project's; a
// server without caps that refuses a token 10 s past exp (the original:
// jwt.Parse without options, unix_server/authorized_identities.go:47)
// passes X-ROB-10 when it refuses the tokens beyond any leeway and takes a
// fresh one. From a server that announces caps it is still a failure.
func TestZeroLeewayNoFailure(t *testing.T) {
	o := startOriginalLike(t, false, false, func(o *originalLike) { o.zeroLeeway = true })
	_, r := runAgainst(t, o.Addr, `^X-ROB-10$`)
	if c := checkOf(t, r, "X-ROB-10"); c.Result != Pass || !strings.Contains(c.Observed, "(control) → 200") {
		t.Errorf("X-ROB-10 %s against a zero-leeway server without caps: %s %s", c.Result, c.Observed, c.Detail)
	}

	own := startOriginalLike(t, false, false, func(o *originalLike) { o.zeroLeeway, o.server = true, ownServer })
	_, r = runAgainst(t, own.Addr, `^X-ROB-10$`)
	if c := checkOf(t, r, "X-ROB-10"); c.Result != Fail {
		t.Errorf("X-ROB-10 %s against a zero-leeway server with caps: %s %s", c.Result, c.Observed, c.Detail)
	}
}

// TestZeroLeewayControl: a server that refuses every token does not pass
// X-ROB-10 on the excused case: the fresh token is the control.
func TestZeroLeewayControl(t *testing.T) {
	o := startOriginalLike(t, false, true)
	_, r := runAgainst(t, o.Addr, `^X-ROB-10$`)
	if c := checkOf(t, r, "X-ROB-10"); c.Result == Pass {
		t.Errorf("X-ROB-10 passed against a server refusing every token: %s", c.Observed)
	}
}

// TestMalformedHeadersLikeOriginal: against a server that parses headers
// as the original does, X-ROB-20 fails on its real defects (a type length
// of 2^30 waited on, the empty type confirmed), not on the cases only this
// project's rules make malformed (the other profile's signal, a 300-byte
// type), and the check's time covers every case, so the conversation is
// still asked afterwards (it used to run out of time and call the
// conversation broken).
func TestMalformedHeadersLikeOriginal(t *testing.T) {
	o := startOriginalLike(t, false, false, func(o *originalLike) { o.lax = true })
	_, r := runAgainst(t, o.Addr, `^X-ROB-20$`)
	c := checkOf(t, r, "X-ROB-20")
	bad := failedPart(c)
	if c.Result != Fail || !strings.Contains(bad, "type length 2^30") || !strings.Contains(bad, "empty type") {
		t.Errorf("X-ROB-20 %s: want a failure naming 2^30 and the empty type: %s", c.Result, c.Observed)
	}
	for _, notCounted := range []string{"other profile's signal", "300 bytes", "stopped working"} {
		if strings.Contains(bad, notCounted) {
			t.Errorf("X-ROB-20 counted %q against a server without caps: %s", notCounted, c.Observed)
		}
	}
	if !strings.Contains(c.Observed, "not counted") {
		t.Errorf("X-ROB-20 does not record the cases it did not count: %s", c.Observed)
	}
}

// TestStalledHeaderInconclusive: a server without caps that holds a
// stalled header longer than the check waits is inconclusive (the row
// names no bound), not failed; one that announces caps promised SPEC.md's
// 10 s and fails.
func TestStalledHeaderInconclusive(t *testing.T) {
	o := startOriginalLike(t, false, false)
	_, r := runAgainst(t, o.Addr, `^X-ROB-21$`)
	if c := checkOf(t, r, "X-ROB-21"); c.Result != Skip || !strings.Contains(c.Detail, "inconclusive") {
		t.Errorf("X-ROB-21 %s against a server without caps: %s %s", c.Result, c.Observed, c.Detail)
	}
	own := startOriginalLike(t, false, false, func(o *originalLike) { o.server = ownServer })
	_, r = runAgainst(t, own.Addr, `^X-ROB-21$`)
	if c := checkOf(t, r, "X-ROB-21"); c.Result != Fail {
		t.Errorf("X-ROB-21 %s against a server with caps: %s %s", c.Result, c.Observed, c.Detail)
	}
}

// TestPrivateRequestsHarmless: P-N1-3 is followed by the liveness probe,
// and opens no reverse listener toward a server that did not announce it
// (the original takes the listener's address block for a message and
// crashes, message/message.go:217).
func TestPrivateRequestsHarmless(t *testing.T) {
	for _, d := range projectChecks() {
		if d.ID == "P-N1-3" && (!d.Harmful || !d.Last) {
			t.Errorf("P-N1-3: Harmful %v, Last %v; want both", d.Harmful, d.Last)
		}
	}
	o := startOriginalLike(t, false, false)
	_, r := runAgainst(t, o.Addr, `^P-N1-3$`)
	c := checkOf(t, r, "P-N1-3")
	o.mu.Lock()
	types := strings.Join(o.types, ",")
	o.mu.Unlock()
	if strings.Contains(types, "reverse") {
		t.Errorf("P-N1-3 opened %s toward a server without the reverse capability (%s %s)", types, c.Result, c.Detail)
	}
	if c.Liveness != "alive" {
		t.Errorf("P-N1-3 liveness %q, want the probe's alive", c.Liveness)
	}
}

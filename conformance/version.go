package conformance

import (
	"fmt"
	"strings"

	"github.com/ssh3-project/ssh3/frame"
)

// versionChecks cover version signalling (spec/SPEC.md §2.4, G8, N2):
// R-6-2, X-ROB-5, P-G8-1, P-N2-1. R-6-1 is client-under-test.
func versionChecks() []def {
	return []def{
		{ID: "R-6-2", Name: "ServerPicksOneVersion", run: checkVersionPick},
		{ID: "X-ROB-5", Name: "GarbledVersionWellFormedError", run: checkGarbledVersion, Harmful: true},
		{ID: "P-G8-1", Name: "VersionRefusalListsOurs", run: checkVersionRefusal},
		{ID: "P-N2-1", Name: "AlphaServerCaps", run: checkAlphaCaps},
	}
}

// connectWithVersion sends a valid CONNECT whose version header is
// replaced by value (or left out when omit).
func (t *T) connectWithVersion(value string, omit bool) (*Response, error) {
	c, err := t.dial(DialConfig{})
	if err != nil {
		return nil, err
	}
	a, err := t.authz(c, t.p, t.s.cfg.Target.User)
	if err != nil {
		return nil, err
	}
	f := t.connectFields(t.p, t.s.cfg.Target.User, a)
	f = f[:len(f)-1]
	if !omit {
		f = append(f, Field{t.p.RequestVersionHeader(), value})
	}
	_, resp, err := t.request(c, f)
	return resp, err
}

const draftName = "michel-remote-terminal-http3-00"

func checkVersionPick(t *T) {
	var obs, bad []string
	if t.p == frame.RTH300 {
		resp, err := t.connectWithVersion("michel-remote-terminal-http3-99, "+draftName, false)
		if err != nil {
			t.fail("2xx", Describe(err))
			return
		}
		got := resp.Header.Values("remote-terminal-version")
		obs = append(obs, fmt.Sprintf("offer -99, -00 → %d remote-terminal-version %q", resp.Status, got))
		if resp.Status/100 != 2 || len(got) != 1 || strings.TrimSpace(got[0]) != draftName {
			bad = append(bad, "not exactly "+draftName)
		}
		resp, err = t.connectWithVersion("michel-remote-terminal-http3-99", false)
		if err == nil {
			obs = append(obs, fmt.Sprintf("no overlap → %d %q", resp.Status, resp.Header.Values("remote-terminal-version")))
			if resp.Status/100 == 2 {
				bad = append(bad, "no overlap got 2xx")
			}
		} else {
			obs = append(obs, "no overlap → "+Describe(err))
		}
		t.verdict("exactly "+draftName+" in the 2xx; no overlap → no 2xx (403 with our list, G8)", obs, bad)
		return
	}
	v := strings.Replace(t.p.ClientVersion(t.s.sw, 0), "alpha-00", "alpha-99", 1)
	resp, err := t.connectWithVersion(v, false)
	if err != nil {
		t.fail("403", Describe(err))
		return
	}
	obs = append(obs, fmt.Sprintf("spec version alpha-99 → %d server %q", resp.Status, resp.Header.Get("server")))
	if resp.Status != 403 {
		bad = append(bad, fmt.Sprintf("unsupported spec version → %d", resp.Status))
	}
	if resp.Header.Get("server") == "" {
		bad = append(bad, "403 without a server header")
	}
	resp, err = t.connectWithVersion(t.p.ClientVersion(t.s.sw, frame.AllCaps), false)
	if err == nil {
		obs = append(obs, fmt.Sprintf("alpha-00 → %d server %q", resp.Status, resp.Header.Get("server")))
		if _, perr := t.p.CheckServerVersion(resp.Header.Get("server")); resp.Status/100 != 2 || perr != nil {
			bad = append(bad, "the 2xx lacks a well-formed server header")
		}
	}
	t.verdict("unsupported spec version → 403 with a server header; the 2xx carries a parsable server header", obs, bad)
}

func checkGarbledVersion(t *T) {
	var values []string
	if t.p == frame.Alpha {
		values = []string{"x", "SSH 3.0 ssh3-conformance", "SSH 3.0 ssh3-conformance 0.1.0", "SSH 3.0 ssh3-conformance 0.1.0 caps=eof"}
	} else {
		values = []string{"michel-remote-terminal-http3-00,, @@", "\"quoted\"", " , "}
	}
	var obs, bad []string
	for _, v := range values {
		resp, err := t.connectWithVersion(v, false)
		if err != nil {
			obs = append(obs, fmt.Sprintf("%q → %s", v, Describe(err)))
			bad = append(bad, fmt.Sprintf("%q → %s", v, Describe(err)))
			continue
		}
		obs = append(obs, fmt.Sprintf("%q → %d", v, resp.Status))
		if resp.Status/100 != 4 {
			bad = append(bad, fmt.Sprintf("%q → %d", v, resp.Status))
		}
	}
	t.verdict("a well-formed 4xx (403 recommended), no stream reset; the server keeps serving", obs, bad)
}

func checkVersionRefusal(t *T) {
	if t.p != frame.RTH300 {
		t.na("rth3-00 only")
		return
	}
	var obs, bad []string
	resp, err := t.connectWithVersion("michel-remote-terminal-http3-99", false)
	if err != nil {
		t.fail("403", Describe(err))
		return
	}
	obs = append(obs, fmt.Sprintf("no overlap → %d %q", resp.Status, resp.Header.Get("remote-terminal-version")))
	if resp.Status != 403 || !strings.Contains(resp.Header.Get("remote-terminal-version"), draftName) {
		bad = append(bad, "no overlap: not 403 listing "+draftName)
	}
	resp, err = t.connectWithVersion("", true)
	if err != nil {
		bad = append(bad, "missing header: "+Describe(err))
	} else {
		obs = append(obs, fmt.Sprintf("missing header → %d %q", resp.Status, resp.Header.Get("remote-terminal-version")))
		if resp.Status/100 != 2 || resp.Header.Get("remote-terminal-version") != draftName {
			bad = append(bad, "missing header not treated as -00")
		}
	}
	t.verdict("no overlap → 403 listing "+draftName+"; missing header → 200 carrying the header", obs, bad)
}

// ourSoftware is the software name of this project's client and server in
// their ssh3-alpha version strings.
const ourSoftware = "ssh3-project/ssh3"

func checkAlphaCaps(t *T) {
	if t.p != frame.Alpha {
		t.na("ssh3-alpha only")
		return
	}
	cv, err := t.connect()
	if err != nil {
		t.fail("200", Describe(err))
		return
	}
	sv := cv.Resp.Header.Get("server")
	pv, perr := t.p.CheckServerVersion(sv)
	if perr == nil && pv.Software.Name != ourSoftware && !strings.Contains(sv, frame.CapsKey+"=") {
		t.na(fmt.Sprintf("the row is this project's version string; the target is %s %s and announces no capabilities (server %q), as a ssh3-alpha peer may", pv.Software.Name, pv.Software.Version, sv))
		return
	}
	want := "eof,reply,winch,env,exitsig,close,reverse,private"
	obs := fmt.Sprintf("%d server %q", cv.Resp.Status, sv)
	if perr == nil && strings.Contains(sv, "caps="+want) {
		t.pass("the 200's server header carries caps="+want, obs)
		return
	}
	_ = pv
	t.fail("the 200's server header carries caps="+want, obs)
}

package frame_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
	"github.com/ssh3-project/ssh3/spec"
)

func TestParseAlphaVersion(t *testing.T) {
	good := []struct {
		in   string
		sw   frame.Software
		caps frame.Caps
	}{
		{"SSH 3.0 francoismichel/ssh3 0.1.7 experimental_spec_version=alpha-00",
			frame.Software{"francoismichel/ssh3", "0.1.7"}, 0},
		{"SSH 3.0 probe/independent 0.0.1 experimental_spec_version=alpha-00",
			frame.Software{"probe/independent", "0.0.1"}, 0},
		{"SSH 3.0_alpha-00 x/y 10.20.30 experimental_spec_version=alpha-00 other=1",
			frame.Software{"x/y", "10.20.30"}, 0},
		{"SSH 3.0 francoismichel/ssh3 0.1.4", frame.Software{"francoismichel/ssh3", "0.1.4"}, 0},
		{"SSH 3.0 francoismichel/ssh3 0.1.3", frame.Software{"francoismichel/ssh3", "0.1.3"}, 0},
		{"SSH 3.0 francoismichel/ssh3 0.1.5", frame.Software{"francoismichel/ssh3", "0.1.5"}, 0},
		{"SSH  3.0\tssh3-project/ssh3 1.0.0 experimental_spec_version=alpha-00 caps=eof,reply,bogus,winch",
			frame.Software{"ssh3-project/ssh3", "1.0.0"}, frame.CapEOF | frame.CapReply | frame.CapWinch},
	}
	for _, c := range good {
		v, err := frame.ParseAlphaVersion(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if v.Software != c.sw || v.Spec != frame.AlphaSpecVersion || v.Caps != c.caps {
			t.Errorf("%q: %+v", c.in, v)
		}
	}
	bad := []string{
		"",
		"SSH 3.0 francoismichel/ssh3 0.1.7", // no spec field
		"SSH 3.0 francoismichel/ssh3 0.1.6", // legacy exception ends at 0.1.5
		"SSH 3.0 francoismichel/ssh3 0.1.2", // and starts at 0.1.3
		"SSH 3.0 other/impl 0.1.4",          // only for francoismichel/ssh3
		"SSH 3.0 francoismichel/ssh3",       // three fields
		"SSH 3.1 francoismichel/ssh3 0.1.7 experimental_spec_version=alpha-00",
		"SSH 2.0 francoismichel/ssh3 0.1.7 experimental_spec_version=alpha-00",
		"SSH 3.0 francoismichel/ssh3 0.1 experimental_spec_version=alpha-00",
		"SSH 3.0 francoismichel/ssh3 0.1.7.1 experimental_spec_version=alpha-00",
		"SSH 3.0 francoismichel/ssh3 v0.1.7 experimental_spec_version=alpha-00",
		"SSH 3.0 francoismichel/ssh3 0.1.x experimental_spec_version=alpha-00",
		"SSH 3.0 francoismichel/ssh3 0.1.7 experimental_spec_version=alpha-01",
		"SSH 3.0 francoismichel/ssh3 0.1.7 experimental_spec_version",
		"curl/8.0.1",
		strings.Repeat("A", 200),
	}
	for _, in := range bad {
		noPanic(t, in, func() {
			v, err := frame.ParseAlphaVersion(in)
			var ve *frame.VersionError
			if !errors.Is(err, frame.ErrVersion) || !errors.As(err, &ve) || ve.Value != in {
				t.Errorf("%q: %+v, %v; want a *VersionError", in, v, err)
			}
		})
	}
}

func TestAlphaVersionCaps(t *testing.T) {
	sw := frame.Software{Name: "ssh3-project/ssh3", Version: "0.2.0"}
	for _, caps := range []frame.Caps{0, frame.CapEOF, frame.CapEnv | frame.CapReverse, frame.AllCaps} {
		s := frame.Alpha.ClientVersion(sw, caps)
		if caps == 0 && s != "SSH 3.0 ssh3-project/ssh3 0.2.0 experimental_spec_version=alpha-00" {
			t.Errorf("no caps: %q", s)
		}
		v, err := frame.ParseAlphaVersion(s)
		if err != nil || v.Caps != caps || v.Software != sw {
			t.Errorf("%q: %+v, %v", s, v, err)
		}
		if got := frame.ParseCaps(caps.String()); got != caps {
			t.Errorf("caps %b: String %q parses to %b", caps, caps.String(), got)
		}
		if sv := frame.Alpha.ServerVersion(sw, caps); sv != s {
			t.Errorf("ServerVersion = %q", sv)
		}
		v, err = frame.Alpha.CheckServerVersion(s)
		if err != nil || v.Caps != caps {
			t.Errorf("CheckServerVersion(%q) = %+v, %v", s, v, err)
		}
		v, err = frame.Alpha.AcceptVersion(s, true)
		if err != nil || v.Caps != caps {
			t.Errorf("AcceptVersion(%q) = %+v, %v", s, v, err)
		}
	}
	if s := frame.AllCaps.String(); s != "eof,reply,winch,env,exitsig,close,reverse,private" {
		t.Errorf("AllCaps = %q", s)
	}
	if c := frame.ParseCaps(" eof , close,,nope"); c != frame.CapEOF|frame.CapClose {
		t.Errorf("ParseCaps = %b", c)
	}
	if frame.Alpha.SupportedVersions(sw) != "SSH 3.0 ssh3-project/ssh3 0.2.0 experimental_spec_version=alpha-00" {
		t.Errorf("SupportedVersions = %q", frame.Alpha.SupportedVersions(sw))
	}
	if _, err := frame.Alpha.AcceptVersion("", false); !errors.Is(err, frame.ErrVersion) {
		t.Errorf("alpha without user-agent: %v", err)
	}
}

// TestRTHVersion: remote-terminal-version negotiation and its failures (G8).
func TestRTHVersion(t *testing.T) {
	p := frame.RTH300
	for _, in := range []string{
		"michel-remote-terminal-http3-00",
		"michel-remote-terminal-http3-99, michel-remote-terminal-http3-00",
		" michel-remote-terminal-http3-00 ,\tfoo",
		"michel-remote-terminal-http3-00,,",
	} {
		v, err := p.AcceptVersion(in, true)
		if err != nil || v.Spec != frame.RTHDraft00 || v.Caps != frame.AllCaps {
			t.Errorf("%q: %+v, %v", in, v, err)
		}
	}
	v, err := p.AcceptVersion("", false) // missing header: treated as -00 (G8)
	if err != nil || v.Spec != frame.RTHDraft00 {
		t.Errorf("missing header: %+v, %v", v, err)
	}
	for _, in := range []string{
		"michel-remote-terminal-http3-01",                 // no overlap
		"michel-ssh3-00, michel-remote-terminal-http3-99", // no overlap
		"",                                  // present but empty
		" , ",                               // no token
		`"michel-remote-terminal-http3-00"`, // quoted: not a token
		"michel remote-terminal",            // space inside
		"michel-remote-terminal-http3-00;q=1",
		"a/b",
	} {
		noPanic(t, in, func() {
			_, err := p.AcceptVersion(in, true)
			var ve *frame.VersionError
			if !errors.Is(err, frame.ErrVersion) || !errors.As(err, &ve) {
				t.Errorf("%q: %v; want ErrVersion", in, err)
			}
		})
	}
	sw := frame.Software{Name: "ssh3-project/ssh3", Version: "0.2.0"}
	if s := p.ClientVersion(sw, 0); s != frame.RTHDraft00 {
		t.Errorf("ClientVersion = %q", s)
	}
	if s := p.ServerVersion(sw, frame.AllCaps); s != frame.RTHDraft00 {
		t.Errorf("ServerVersion = %q", s)
	}
	if s := p.SupportedVersions(sw); s != frame.RTHDraft00 {
		t.Errorf("SupportedVersions = %q", s)
	}
	if v, err := p.CheckServerVersion(frame.RTHDraft00); err != nil || v.Spec != frame.RTHDraft00 {
		t.Errorf("CheckServerVersion = %+v, %v", v, err)
	}
	for _, in := range []string{"", "michel-remote-terminal-http3-01", frame.RTHDraft00 + ", x"} {
		if _, err := p.CheckServerVersion(in); !errors.Is(err, frame.ErrVersion) {
			t.Errorf("CheckServerVersion(%q) = %v", in, err)
		}
	}
}

// TestPeerMaySend: what may go to a peer (§6.1, §6.3).
func TestPeerMaySend(t *testing.T) {
	allowed := []frame.Message{
		&frame.OpenConfirmation{}, &frame.OpenFailure{}, &frame.Data{}, &frame.ExtendedData{},
		&frame.PtyReq{}, &frame.Shell{}, &frame.Exec{}, &frame.Signal{}, &frame.ExitStatus{}, &frame.ExitSignal{},
		frame.ForwardAgent(),
	}
	refused := map[frame.Message]frame.Caps{
		&frame.Env{}:             frame.CapEnv,
		&frame.WindowChange{}:    frame.CapWinch,
		&frame.EOF{}:             frame.CapEOF,
		&frame.Close{}:           frame.CapClose,
		&frame.Success{}:         frame.CapReply,
		&frame.Failure{}:         frame.CapReply,
		&frame.WindowAdjust{}:    frame.CapPrivate,
		&frame.ReverseBound{}:    frame.CapReverse,
		&frame.ReverseIncoming{}: frame.CapReverse,
		&frame.UnknownRequest{RequestName: "x-probe@example.org"}: frame.CapPrivate,
		&frame.UnknownMessage{MsgType: 0x3fff}:                    frame.CapPrivate,
		&frame.X11Req{}:                                           frame.CapPrivate,
		&frame.Subsystem{}:                                        frame.CapPrivate,
		&frame.XonXoff{}:                                          frame.CapPrivate,
		&frame.AuthAgent{}:                                        frame.CapPrivate,
		&frame.AgentIncoming{}:                                    frame.CapPrivate,
	}
	alpha := frame.NewPeer(frame.Alpha, 0)
	for _, m := range allowed {
		if !alpha.MaySend(m) {
			t.Errorf("alpha peer without caps: %T refused", m)
		}
	}
	for m, need := range refused {
		if alpha.MaySend(m) {
			t.Errorf("alpha peer without caps: %T allowed", m)
		}
		if !frame.NewPeer(frame.Alpha, need).MaySend(m) {
			t.Errorf("alpha peer with %v: %T refused", need, m)
		}
		if frame.NewPeer(frame.Alpha, frame.AllCaps&^need).MaySend(m) {
			t.Errorf("alpha peer with all but %v: %T allowed", need, m)
		}
		if !frame.NewPeer(frame.Alpha, frame.AllCaps).MaySend(m) {
			t.Errorf("alpha peer with all caps: %T refused", m)
		}
		if !frame.NewPeer(frame.RTH300, 0).MaySend(m) {
			t.Errorf("rth3-00 peer: %T refused", m)
		}
	}
	if alpha.MayHalfClose() || alpha.RepliesToRequests() {
		t.Error("alpha peer without caps half-closes or replies")
	}
	if p := frame.NewPeer(frame.Alpha, frame.CapEOF|frame.CapReply); !p.MayHalfClose() || !p.RepliesToRequests() {
		t.Error("alpha peer with eof,reply")
	}
	if p := frame.NewPeer(frame.RTH300, 0); !p.MayHalfClose() || !p.RepliesToRequests() || p.Caps != frame.AllCaps {
		t.Error("rth3-00 peer lacks its baseline")
	}
}

// versionVector is a version value found in the alpha captures and whether
// the reference accepted it.
type versionVector struct {
	id, header, value string
	accepted          bool
}

// vectorVersions collects the user-agent and server values of the HTTP
// vectors: what the reference sent (accepted by definition) and what it
// refused with 403 or a reset (request_user_agent of those responses).
func vectorVersions(tb testing.TB) []versionVector {
	files, err := spec.VectorFiles()
	if err != nil {
		tb.Fatal(err)
	}
	var out []versionVector
	for _, f := range files {
		for _, v := range f.Vectors {
			if ua, ok := v.Fields["user-agent"].(string); ok {
				out = append(out, versionVector{v.ID, "user-agent", ua, true})
			}
			if ua, ok := v.Fields["request_user_agent"].(string); ok {
				refused := strings.Contains(v.ID, "403") || strings.Contains(v.ID, "bad-user-agent")
				out = append(out, versionVector{v.ID, "user-agent", ua, !refused})
			}
			hs, _ := v.Fields["headers_in_wire_order"].([]any)
			for _, h := range hs {
				if kv, ok := h.([]any); ok && len(kv) == 2 && kv[0] == "server" {
					out = append(out, versionVector{v.ID, "server", kv[1].(string), true})
				}
			}
		}
	}
	return out
}

// TestVectorVersions: the version values of the captures are accepted or
// refused as the reference did (§2.4). The HTTP layers themselves belong to
// conn; only the version grammar is frame's.
func TestVectorVersions(t *testing.T) {
	vs := vectorVersions(t)
	if len(vs) < 5 {
		t.Fatalf("only %d version values in the vectors", len(vs))
	}
	for _, v := range vs {
		var err error
		if v.header == "server" {
			_, err = frame.Alpha.CheckServerVersion(v.value)
		} else {
			_, err = frame.Alpha.AcceptVersion(v.value, true)
		}
		if (err == nil) != v.accepted {
			t.Errorf("%s: %s %q: err = %v, reference accepted: %v", v.id, v.header, v.value, err, v.accepted)
		}
	}
}

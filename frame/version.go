package frame

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version signalling (§2.4). ssh3-alpha: the client's user-agent and the
// server's server header read "SSH 3.0 <impl> X.Y.Z
// experimental_spec_version=alpha-00 [key=value ...]". rth3-00: the client
// lists draft names in remote-terminal-version and the server answers with
// the one it picked (G8).
const (
	AlphaSpecVersion = "alpha-00"
	RTHDraft00       = "michel-remote-terminal-http3-00"

	headerUserAgent     = "user-agent"
	headerServer        = "server"
	headerRemoteVersion = "remote-terminal-version"
)

// ErrVersion is matched by every version the server does not accept: answer
// 403 (ssh3-alpha §2.5, rth3-00 G8).
var ErrVersion = errors.New("frame: unsupported protocol version")

// VersionError says why a version value was refused.
type VersionError struct {
	Value  string
	Reason string
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("frame: version %q: %s", e.Value, e.Reason)
}

func (e *VersionError) Is(target error) bool { return target == ErrVersion }

// Software names an implementation in version strings: Name is one token
// ("ssh3-project/ssh3"), Version three dot-separated integers.
type Software struct {
	Name    string
	Version string
}

// PeerVersion is what a peer's version value told.
type PeerVersion struct {
	Software Software
	Spec     string // alpha: experimental_spec_version; rth3-00: the draft
	Caps     Caps   // from the caps field; the profile's baseline is added
	Fields   map[string]string
}

// RequestVersionHeader is the header a client signals its version in.
func (p *Profile) RequestVersionHeader() string {
	if p == Alpha {
		return headerUserAgent
	}
	return headerRemoteVersion
}

// ResponseVersionHeader is the header a server signals its version in.
func (p *Profile) ResponseVersionHeader() string {
	if p == Alpha {
		return headerServer
	}
	return headerRemoteVersion
}

// ClientVersion is the value of RequestVersionHeader for this software
// announcing caps.
func (p *Profile) ClientVersion(sw Software, caps Caps) string {
	if p == Alpha {
		return alphaVersion(sw, caps)
	}
	return RTHDraft00
}

// ServerVersion is the value of ResponseVersionHeader in a 2xx.
func (p *Profile) ServerVersion(sw Software, caps Caps) string {
	return p.ClientVersion(sw, caps)
}

// SupportedVersions is the value a server puts in a 403 (G8).
func (p *Profile) SupportedVersions(sw Software) string { return p.ClientVersion(sw, 0) }

func alphaVersion(sw Software, caps Caps) string {
	s := fmt.Sprintf("SSH 3.0 %s %s experimental_spec_version=%s", sw.Name, sw.Version, AlphaSpecVersion)
	if caps != 0 {
		s += " " + CapsKey + "=" + caps.String()
	}
	return s
}

// AcceptVersion checks the value a client sent in RequestVersionHeader
// (present says whether the header was there at all). A refusal matches
// ErrVersion.
func (p *Profile) AcceptVersion(value string, present bool) (PeerVersion, error) {
	if p == Alpha {
		if !present {
			return PeerVersion{}, &VersionError{Value: value, Reason: "no user-agent"}
		}
		return ParseAlphaVersion(value)
	}
	if !present {
		return PeerVersion{Spec: RTHDraft00, Caps: p.baseline}, nil
	}
	drafts, err := parseTokenList(value)
	if err != nil {
		return PeerVersion{}, &VersionError{Value: value, Reason: err.Error()}
	}
	for _, d := range drafts {
		if d == RTHDraft00 {
			return PeerVersion{Spec: RTHDraft00, Caps: p.baseline}, nil
		}
	}
	return PeerVersion{}, &VersionError{Value: value, Reason: "no supported draft offered"}
}

// CheckServerVersion checks the value a server answered with in
// ResponseVersionHeader.
func (p *Profile) CheckServerVersion(value string) (PeerVersion, error) {
	if p == Alpha {
		return ParseAlphaVersion(value)
	}
	if value != RTHDraft00 {
		return PeerVersion{}, &VersionError{Value: value, Reason: "want exactly " + RTHDraft00}
	}
	return PeerVersion{Spec: RTHDraft00, Caps: p.baseline}, nil
}

// ParseAlphaVersion reads the ssh3-alpha version grammar. It accepts major
// 3.0 with experimental_spec_version=alpha-00, and the legacy
// francoismichel/ssh3 0.1.3–0.1.5 with no spec field. Caps come from the
// caps field.
func ParseAlphaVersion(value string) (PeerVersion, error) {
	fields := strings.Fields(value)
	if len(fields) < 4 {
		return PeerVersion{}, &VersionError{Value: value, Reason: "fewer than four fields"}
	}
	major, _, _ := strings.Cut(fields[1], "_")
	if major != "3.0" {
		return PeerVersion{}, &VersionError{Value: value, Reason: "protocol version " + fields[1] + " is not 3.0"}
	}
	if !isSemver(fields[3]) {
		return PeerVersion{}, &VersionError{Value: value, Reason: "software version " + fields[3] + " is not X.Y.Z"}
	}
	v := PeerVersion{Software: Software{Name: fields[2], Version: fields[3]}, Fields: map[string]string{}}
	for _, f := range fields[4:] {
		if k, val, ok := strings.Cut(f, "="); ok {
			v.Fields[k] = val
		}
	}
	v.Spec = v.Fields["experimental_spec_version"]
	v.Caps = ParseCaps(v.Fields[CapsKey])
	switch {
	case v.Spec == AlphaSpecVersion:
	case v.Spec == "" && legacyAlpha(v.Software):
		v.Spec = AlphaSpecVersion
	default:
		return PeerVersion{}, &VersionError{Value: value, Reason: fmt.Sprintf("spec version %q is not %s", v.Spec, AlphaSpecVersion)}
	}
	return v, nil
}

func legacyAlpha(sw Software) bool {
	return sw.Name == "francoismichel/ssh3" &&
		(sw.Version == "0.1.3" || sw.Version == "0.1.4" || sw.Version == "0.1.5")
}

func isSemver(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			return false
		}
	}
	return true
}

// parseTokenList reads an RFC 9110 1#token list.
func parseTokenList(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.Trim(t, " \t")
		if t == "" {
			continue
		}
		if !isToken(t) {
			return nil, fmt.Errorf("%q is not a token", t)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}

func isToken(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

package conformance

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/frame"
)

// Fixture is a key the target's operator authorized for the suite's user
// with one authorized_keys option (spec/SPEC.md §4.5), so that P-AUTH-1 and
// P-AUTH-4 can observe how the target honours it. The suite reads the
// private key from the file Name in the -fixture-keys directory.
type Fixture struct {
	Name    string
	Options string // what precedes the key on its authorized_keys line
	Expect  string // what the target must do
}

// forcedOutput is what the forced-command fixture's command prints.
const forcedOutput = "ssh3-conformance-forced"

// Fixtures lists every fixture key the suite knows.
var Fixtures = []Fixture{
	{"unsupported-option", `environment="SSH3_CONFORMANCE=1"`, "an option the server does not implement refuses the key: 401"},
	{"forced-command", `command="echo ` + forcedOutput + `"`, "the forced command runs instead of the requested one"},
	{"no-pty", "no-pty", "pty-req is refused, exec still runs"},
	{"permitopen", `permitopen="127.0.0.1:9"`, "direct-tcp to another target is refused"},
	{"expired", `expiry-time="20000101"`, "an expired key is refused: 401"},
	{"from-elsewhere", `from="192.0.2.1"`, "a key limited to another source address is refused: 401"},
}

// FixtureLine is the authorized_keys line the operator adds for f's key.
func FixtureLine(f Fixture, pub ssh.PublicKey) string {
	return f.Options + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " ssh3-conformance-" + f.Name
}

// LoadFixtures reads the fixture keys present in dir, by name.
func LoadFixtures(dir string) (map[string]ssh.Signer, error) {
	out := map[string]ssh.Signer{}
	for _, f := range Fixtures {
		s, err := loadKey(filepath.Join(dir, f.Name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("conformance: fixture key %s: %w", f.Name, err)
		}
		out[f.Name] = s
	}
	return out, nil
}

// fixture returns the named fixture key, or nil.
func (t *T) fixture(name string) ssh.Signer { return t.s.cfg.FixtureKeys[name] }

const noFixtures = "needs fixture keys (-fixture-keys DIR) authorized on the target with the options the README lists"

// bearerWith is a valid token for the suite's user signed by key.
func (t *T) bearerWith(key ssh.Signer) func(*H3Conn) (string, error) {
	return func(c *H3Conn) (string, error) {
		b, err := binding(c)
		if err != nil {
			return "", err
		}
		tok, err := signValid(key, t.p, t.s.cfg.Target.User, b, time.Now())
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	}
}

// convWith is a conversation authenticated by key, or nil once reported.
func (t *T) convWith(key ssh.Signer, label string) (*Conv, string) {
	c, err := t.dial(DialConfig{AllowServerBidi: t.p == frame.Alpha})
	if err != nil {
		return nil, label + ": dial: " + Describe(err)
	}
	a, err := t.bearerWith(key)(c)
	if err != nil {
		return nil, label + ": token: " + Describe(err)
	}
	rs, resp, err := t.request(c, t.connectFields(t.p, t.s.cfg.Target.User, a))
	if err != nil {
		return nil, label + ": CONNECT: " + Describe(err)
	}
	if resp.Status/100 != 2 {
		return nil, fmt.Sprintf("%s: CONNECT answered %d", label, resp.Status)
	}
	return &Conv{t: t, C: c, Req: rs, Resp: resp, P: t.p}, ""
}

func checkUnsupportedOption(t *T) {
	key := t.fixture("unsupported-option")
	if key == nil {
		t.skip(noFixtures)
		return
	}
	t.expectStatus("a token signed by a key whose line carries an unsupported option gets 401", 401, []authCase{
		{label: "key with " + Fixtures[0].Options, mk: t.bearerWith(key)},
	})
}

// checkKeyOptions runs one case per fixture key the suite has.
func checkKeyOptions(t *T) {
	var obs, bad []string
	ran := 0
	for _, f := range Fixtures[1:] {
		key := t.fixture(f.Name)
		if key == nil {
			continue
		}
		ran++
		o, b := keyOptionCase(t, f, key)
		obs = append(obs, f.Options+": "+o)
		if b != "" {
			bad = append(bad, f.Options+": "+b)
		}
	}
	if ran == 0 {
		t.skip(noFixtures)
		return
	}
	t.verdict("each option honoured: "+expectations(Fixtures[1:]), obs, bad)
}

func expectations(fs []Fixture) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.Name+": "+f.Expect)
	}
	return strings.Join(parts, "; ")
}

// keyOptionCase observes one fixture; bad is empty when the option was
// honoured.
func keyOptionCase(t *T, f Fixture, key ssh.Signer) (obs, bad string) {
	switch f.Name {
	case "expired", "from-elsewhere":
		resp, err := t.tryAuth(t.s.cfg.Target.User, t.bearerWith(key))
		if err != nil {
			return Describe(err), Describe(err)
		}
		obs = fmt.Sprintf("CONNECT → %d", resp.Status)
		if resp.Status != 401 {
			return obs, obs
		}
		return obs, ""
	}
	cv, why := t.convWith(key, "CONNECT")
	if cv == nil {
		return why, why
	}
	switch f.Name {
	case "forced-command":
		r := cv.Exec("echo not-forced", nil)
		obs = "exec 'echo not-forced' → " + r.Summary()
		if r.Stdout.String() != forcedOutput+"\n" {
			return obs, obs
		}
	case "no-pty":
		r := cv.Exec("true", []frame.Message{&frame.PtyReq{WantReply: true, Term: "xterm", Columns: 80, Rows: 24}})
		obs = "pty-req then exec 'true' → " + r.Summary()
		if len(r.Replies) == 0 || r.Replies[0] != frame.MsgFailure || r.Status == nil || *r.Status != 0 {
			return obs, obs
		}
	case "permitopen":
		return permitOpenCase(t, cv)
	}
	return obs, ""
}

// permitOpenCase opens direct-tcp to the suite's echo target, which the
// permitopen fixture does not allow.
func permitOpenCase(t *T, cv *Conv) (obs, bad string) {
	if !t.s.local {
		return "not run: the suite's echo target is on its loopback", ""
	}
	if err := t.s.echo.start(); err != nil {
		return "echo: " + err.Error(), "echo: " + err.Error()
	}
	tcp, _ := echoAddrs(t.s)
	ch, err := cv.Open(frame.ChannelDirectTCP, &tcp)
	if err != nil {
		return "open: " + Describe(err), "open: " + Describe(err)
	}
	_ = ch.send([]byte("ping"))
	got, err := ch.recv(4)
	obs = fmt.Sprintf("direct-tcp to %s → ", tcp.String())
	if code, ok := ResetCode(err); ok {
		obs += "reset " + CodeName(code)
		if code != 0x10b {
			return obs, obs
		}
		return obs, ""
	}
	if err != nil && strings.HasPrefix(err.Error(), "92 reason 1 ") {
		return obs + err.Error(), ""
	}
	obs += fmt.Sprintf("%q, %s", got, Describe(err))
	return obs, obs
}

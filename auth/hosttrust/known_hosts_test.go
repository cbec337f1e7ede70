package hosttrust

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"encoding/json"

	"pgregory.net/rapid"
)

type vector struct {
	ID     string         `json:"id"`
	Text   string         `json:"text"`
	Fields map[string]any `json:"fields"`
}

func loadVector(t testing.TB, id string) vector {
	t.Helper()
	var data []byte
	var err error
	for _, dir := range []string{"../../spec/vectors", "../../../shared/vectors"} {
		if data, err = os.ReadFile(filepath.Join(dir, "ssh3-alpha-v0.1.7.json")); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("vectors not found: %v", err)
	}
	var f struct{ Vectors []vector }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, v := range f.Vectors {
		if v.ID == id {
			return v
		}
	}
	t.Fatalf("no vector %s", id)
	return vector{}
}

func TestKnownHostsVector(t *testing.T) {
	v := loadVector(t, "file-known-hosts-line")
	key, der, err := ParseLine(v.Text)
	if err != nil {
		t.Fatal(err)
	}
	if key != v.Fields["host_key"] || len(der) != int(v.Fields["certificate_der_len"].(float64)) {
		t.Errorf("key %q, %d bytes", key, len(der))
	}
	if fp := Fingerprint(der); fp != v.Fields["fingerprint_shown_at_prompt"] {
		t.Errorf("fingerprint %q", fp)
	}
	if got := string(AppendLine(nil, key, der)); got != v.Text+"\n" {
		t.Errorf("re-encoded line differs:\n%s", got)
	}
	entries, warns := Parse([]byte(v.Text+"\n"), "kh")
	if len(warns) != 0 || len(entries) != 1 {
		t.Fatalf("%v %v", entries, warns)
	}
	var names []string
	for _, n := range v.Fields["certificate_dns_sans"].([]any) {
		names = append(names, n.(string))
	}
	if strings.Join(entries[0].Cert.DNSNames, ",") != strings.Join(names, ",") {
		t.Errorf("SANs %v", entries[0].Cert.DNSNames)
	}
	if HostKey("127.0.0.1", 4443, "/ssh3-term") != key {
		t.Error("HostKey")
	}
	if HostKey("::1", 443, "/ssh3") != "::1:443/ssh3" {
		t.Error("IPv6 host must stay unbracketed")
	}
}

func TestParseWarnsWithZeroBasedIndex(t *testing.T) {
	good := loadVector(t, "file-known-hosts-line").Text
	data := strings.Join([]string{
		"# comment",
		good,
		"garbage",
		"",
		"host:1/p x509-certificate !!!",
		"host:1/p ssh-ed25519 AAAA",
		"host:1/p x509-certificate AAAA", // base64 fine, not a certificate
		"::1:443/ssh3 " + strings.SplitN(good, " ", 2)[1],
	}, "\n")
	entries, warns := Parse([]byte(data), "kh")
	if len(entries) != 2 || entries[0].Index != 1 || entries[1].Index != 7 || entries[1].HostKey != "::1:443/ssh3" {
		t.Errorf("entries %+v", entries)
	}
	var idx []int
	for _, w := range warns {
		idx = append(idx, w.Index)
		if !strings.Contains(w.Error(), "line ") {
			t.Errorf("warning %q", w)
		}
	}
	if len(idx) != 4 || idx[0] != 2 || idx[1] != 4 || idx[2] != 5 || idx[3] != 6 {
		t.Errorf("warning indices %v", idx)
	}
	if !errors.Is(warns[0], ErrBadLine) {
		t.Error(warns[0])
	}
}

func TestLineRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.StringMatching(`[a-z0-9.:\[\]-]{1,40}(/[a-zA-Z0-9_-]{0,20})?`).Draw(t, "key")
		der := rapid.SliceOfN(rapid.Byte(), 1, 600).Draw(t, "der")
		line := AppendLine(nil, key, der)
		k2, d2, err := ParseLine(strings.TrimSuffix(string(line), "\n"))
		if err != nil || k2 != key || string(d2) != string(der) {
			t.Fatalf("round trip: %q %x %v", k2, d2, err)
		}
	})
}

func TestAddCreatesPrivateFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "known_hosts")
	if err := Add(file, "h:1/p", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := Add(file, "h:1/p", []byte{4}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(file)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	data, _ := os.ReadFile(file)
	if string(data) != "h:1/p x509-certificate AQID\nh:1/p x509-certificate BA==\n" {
		t.Errorf("%q", data)
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add(loadVector(f, "file-known-hosts-line").Text)
	f.Add("::1:443/ssh3 x509-certificate AAAA")
	f.Add("h x509-certificate ")
	f.Fuzz(func(t *testing.T, line string) {
		key, der, err := ParseLine(line)
		if err != nil {
			return
		}
		// Canonical: re-encoding reproduces the input.
		if got := string(AppendLine(nil, key, der)); got != line+"\n" {
			t.Fatalf("not canonical: %q -> %q", line, got)
		}
		Parse([]byte(line), "f")
	})
}

func ExampleHostKey() {
	fmt.Println(HostKey("127.0.0.1", 4443, "/ssh3-term"))
	fmt.Println(HostKey("::1", 443, "/ssh3"))
	// Output:
	// 127.0.0.1:4443/ssh3-term
	// ::1:443/ssh3
}

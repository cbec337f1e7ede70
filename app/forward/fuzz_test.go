package forward

import (
	"bufio"
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// formatLocal writes s back as a -L argument (IPv6 and other colon
// holders in brackets).
func formatLocal(s Spec) string {
	br := func(h string) string {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	var b strings.Builder
	if s.Network == "udp" {
		b.WriteString("udp:")
	}
	if s.BindHost != "" {
		b.WriteString(br(s.BindHost) + ":")
	}
	b.WriteString(strconv.Itoa(s.BindPort) + ":" + br(s.Host) + ":" + strconv.Itoa(s.Port))
	return b.String()
}

// FuzzParseSpec: the -L/-R, -D and original forms never panic, give
// ErrBadSpec or a Spec in range, and a parsed -L spec written back parses
// to the same Spec.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"8080:127.0.0.1:80", "127.0.0.1:8080:localhost:80", "[::1]:8080:[2001:db8::1]:443", "udp:53:1.1.1.1:53",
		"tcp:0:h:1", "[]:1:h:2", "1:[x:y]:2", "1080", "[::1]:1080", "8080/127.0.0.1@9090", "[::1]@53/[::1]@53",
		"", ":", "[", "]:", "1:2", "1:h:0", "65536:h:1", "-1:h:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		check := func(form string, s Spec, err error) {
			if err != nil {
				if !errors.Is(err, ErrBadSpec) {
					t.Fatalf("%s %q: error %v is not ErrBadSpec", form, in, err)
				}
				return
			}
			if s.Network != "tcp" && s.Network != "udp" || s.BindPort < 0 || s.BindPort > 65535 || s.Port < 0 || s.Port > 65535 {
				t.Fatalf("%s %q: out of range %+v", form, in, s)
			}
		}
		s, err := ParseLocal(in)
		check("-L", s, err)
		if err == nil {
			again, err := ParseLocal(formatLocal(s))
			if err != nil || again != s {
				t.Fatalf("-L %q → %+v → %q → %+v, %v", in, s, formatLocal(s), again, err)
			}
		}
		d, err := ParseDynamic(in)
		check("-D", d, err)
		for _, network := range []string{"tcp", "udp"} {
			o, err := ParseOriginal(network, in)
			check("-forward-"+network, o, err)
		}
	})
}

// FuzzSOCKSParsers: the SOCKS5 address block and the SOCKS4 C strings never
// panic, and an address block that parses is read back from its encoding.
func FuzzSOCKSParsers(f *testing.F) {
	f.Add([]byte{atypIPv4, 127, 0, 0, 1, 0, 80})
	f.Add([]byte{atypIPv6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 187})
	f.Add(append(append([]byte{atypDomain, 9}, "localhost"...), 0, 80))
	f.Add(append(append([]byte{atypDomain, 9}, "127.0.0.1"...), 0, 22))
	f.Add([]byte{atypDomain, 0, 0, 80})
	f.Add([]byte{9, 1, 2})
	f.Add([]byte("user\x00host.example\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tg, rep, err := readSOCKS5Addr(bytes.NewReader(b))
		if err == nil {
			if tg.name == "" && !tg.ip.IsValid() {
				t.Fatalf("%x: neither name nor address", b)
			}
			if tg.name == "" {
				enc := appendSOCKS5Addr(nil, netip.AddrPortFrom(tg.ip, tg.port))
				again, _, err := readSOCKS5Addr(bytes.NewReader(enc))
				if err != nil || again.ip.Unmap() != tg.ip.Unmap() || again.port != tg.port {
					t.Fatalf("%x → %+v → %x → %+v, %v", b, tg, enc, again, err)
				}
			}
		} else if rep != 0 && rep != repAddressUnsupported {
			t.Fatalf("%x: reply code %d", b, rep)
		}
		br := bufio.NewReader(bytes.NewReader(b))
		if s, err := readCString(br); err == nil && (len(s) > 255 || strings.IndexByte(s, 0) >= 0) {
			t.Fatalf("%x: C string %q", b, s)
		}
	})
}

package forward

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/ssh3-project/ssh3/frame"
)

func TestParseLocal(t *testing.T) {
	good := map[string]Spec{
		"8080:127.0.0.1:80":              {"tcp", "", 8080, "127.0.0.1", 80},
		"0.0.0.0:8080:example.org:443":   {"tcp", "0.0.0.0", 8080, "example.org", 443},
		"[::1]:8080:[2001:db8::1]:22":    {"tcp", "::1", 8080, "2001:db8::1", 22},
		"8080:[::1]:22":                  {"tcp", "", 8080, "::1", 22},
		"udp:5353:127.0.0.1:53":          {"udp", "", 5353, "127.0.0.1", 53},
		"udp:[::]:5353:[::1]:53":         {"udp", "::", 5353, "::1", 53},
		"tcp:localhost:0:localhost:22":   {"tcp", "localhost", 0, "localhost", 22},
		"*:8080:host:80":                 {"tcp", "*", 8080, "host", 80},
		"127.0.0.1:65535:10.0.0.1:65535": {"tcp", "127.0.0.1", 65535, "10.0.0.1", 65535},
	}
	for in, want := range good {
		got, err := ParseLocal(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "8080", "8080:host", "a:b:c", "8080:host:0", "65536:h:1", "-1:h:1",
		"1:2:3:4:5", "[::1:8080:h:1", "[::1]x:1:h:1", "8080::80", "udp:", "udp:1:h"} {
		if _, err := ParseLocal(in); !errors.Is(err, ErrBadSpec) {
			t.Errorf("%q: %v, want ErrBadSpec", in, err)
		}
	}
}

func TestParseDynamicAndOriginal(t *testing.T) {
	if s, err := ParseDynamic("1080"); err != nil || s.BindPort != 1080 || s.BindHost != "" {
		t.Errorf("1080: %+v %v", s, err)
	}
	if s, err := ParseDynamic("[::1]:1080"); err != nil || s.BindHost != "::1" {
		t.Errorf("[::1]:1080: %+v %v", s, err)
	}
	for _, in := range []string{"", "x", "1:2:3", "99999"} {
		if _, err := ParseDynamic(in); !errors.Is(err, ErrBadSpec) {
			t.Errorf("-D %q: %v", in, err)
		}
	}
	if s, err := ParseOriginal("udp", "8053/127.0.0.1@53"); err != nil || s != (Spec{"udp", "", 8053, "127.0.0.1", 53}) {
		t.Errorf("original: %+v %v", s, err)
	}
	if s, err := ParseOriginal("tcp", "0.0.0.0@8080/[::1]@80"); err != nil || s != (Spec{"tcp", "0.0.0.0", 8080, "::1", 80}) {
		t.Errorf("original with local ip: %+v %v", s, err)
	}
	for _, in := range []string{"8080", "8080/127.0.0.1", "x/127.0.0.1@1", "1/host@1", "1/127.0.0.1@0"} {
		if _, err := ParseOriginal("tcp", in); !errors.Is(err, ErrBadSpec) {
			t.Errorf("original %q: %v", in, err)
		}
	}
}

func TestBindAddrGatewayPorts(t *testing.T) {
	var p Policy
	for in, want := range map[string]string{"0.0.0.0": "127.0.0.1:80", "192.0.2.1": "127.0.0.1:80", "127.0.0.2": "127.0.0.2:80", "::": "[::1]:80", "::1": "[::1]:80"} {
		a := frame.IPAddress(netip.AddrPortFrom(netip.MustParseAddr(in), 80))
		if got := p.bindAddr(&a); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	n := frame.NameAddress("example.org", 80)
	if got := p.bindAddr(&n); got != "127.0.0.1:80" {
		t.Errorf("name: %s", got)
	}
	p.GatewayPorts = true
	a := frame.IPAddress(netip.AddrPortFrom(netip.IPv4Unspecified(), 80))
	if got := p.bindAddr(&a); got != "0.0.0.0:80" {
		t.Errorf("gateway ports: %s", got)
	}
}

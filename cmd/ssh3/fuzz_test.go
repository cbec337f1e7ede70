package main

import (
	"strings"
	"testing"
)

// FuzzParseDestination: every destination either is a usage error or names
// a host, a port in range (0: the default) and a path that is empty or
// starts with /.
func FuzzParseDestination(f *testing.F) {
	for _, s := range []string{
		"host", "alice@host", "alice@host:4443", "alice@host:4443/ssh3-term", "alice@[::1]:4443/p", "[::1]/p",
		"::1", "https://host:4443/ssh3-term", "https://alice@host/p", "https://:443/x", "https://[::1]/x",
		"a@b@c", "@host", "host:", "host:0", "host:65536", "[::1", "/path", "host/a/b?c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		tg, err := parseDestination(d)
		if err != nil {
			if _, ok := err.(*errUsage); !ok {
				t.Fatalf("%q: error %T %v is not a usage error", d, err, err)
			}
			return
		}
		if tg.host == "" {
			t.Fatalf("%q: accepted with no host: %+v", d, tg)
		}
		if tg.port < 0 || tg.port > 65535 {
			t.Fatalf("%q: port %d", d, tg.port)
		}
		if tg.path != "" && !strings.HasPrefix(tg.path, "/") {
			t.Fatalf("%q: path %q", d, tg.path)
		}
	})
}

// FuzzParseArgs: any command line is parsed or refused with a usage error;
// never a panic.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"host", "-vvv -tt -p2222 host ls -l", "-i k -L 8080:h:80 -R 9000:h:22 -D1080 -J a,b h",
		"-o User=bob -F cfg -NTAq h", "-profile rth3-00 -l alice h -- -x", "-p", "-L", "--privkey=k h", "-e none h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		o, err := parseArgs(strings.Fields(line))
		if err == nil && o == nil {
			t.Fatalf("%q: no options and no error", line)
		}
	})
}

package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want options
	}{
		{[]string{"host"}, options{destination: "host"}},
		{[]string{"-vvv", "-tt", "-p2222", "host", "ls", "-l"},
			options{verbose: 3, ttyForce: 2, port: 2222, destination: "host", command: []string{"ls", "-l"}}},
		{[]string{"host", "-p", "22", "-i", "k", "echo", "hi"},
			options{port: 22, identities: []string{"k"}, destination: "host", command: []string{"echo", "hi"}}},
		{[]string{"-insecure", "-i", "KEY", "u@127.0.0.1:4443/p", "echo", "x"},
			options{insecure: true, identities: []string{"KEY"}, destination: "u@127.0.0.1:4443/p", command: []string{"echo", "x"}}},
		{[]string{"-privkey", "k1", "--privkey=k2", "-forward-agent", "-use-password", "h"},
			options{identities: []string{"k1", "k2"}, forwardAgent: true, usePassword: true, destination: "h"}},
		{[]string{"-L", "8080:127.0.0.1:80", "-L8081:[::1]:80", "-R", "9000:localhost:22", "-D1080", "-J", "a,b", "h"},
			options{locals: []string{"8080:127.0.0.1:80", "8081:[::1]:80"}, remotes: []string{"9000:localhost:22"},
				dynamics: []string{"1080"}, jumps: []string{"a", "b"}, destination: "h"}},
		{[]string{"-forward-tcp", "8080/127.0.0.1@9090", "-forward-udp", "53/1.1.1.1@53", "-proxy-jump", "j", "h"},
			options{forwardTCP: []string{"8080/127.0.0.1@9090"}, forwardUDP: []string{"53/1.1.1.1@53"}, jumps: []string{"j"}, destination: "h"}},
		{[]string{"-e", "none", "-o", "User=bob", "-F", "cfg", "-NTAq", "h"},
			options{escape: "none", sshOptions: []string{"User=bob"}, configFile: "cfg", noCommand: true, ttyNever: true, forwardAgent: true, quiet: true, destination: "h"}},
		{[]string{"-profile", "rth3-00", "-l", "alice", "h", "--", "-x"},
			options{profile: "rth3-00", user: "alice", destination: "h", command: []string{"-x"}}},
		{[]string{"--", "h", "-x"}, options{destination: "h", command: []string{"-x"}}},
		{[]string{"-V"}, options{version: true}},
	} {
		got, err := parseArgs(tc.args)
		if err != nil {
			t.Errorf("parseArgs(%q): %v", tc.args, err)
			continue
		}
		if d := cmp.Diff(&tc.want, got, cmp.AllowUnexported(options{})); d != "" {
			t.Errorf("parseArgs(%q) (-want +got):\n%s", tc.args, d)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-p"}, {"-p", "0", "h"}, {"-p", "65536", "h"}, {"-pabc", "h"}, {"-Z", "h"}, {"--bogus", "h"},
		{"-privkey"}, {"-e", "xyz", "h"},
	} {
		if _, err := parseArgs(args); err == nil {
			t.Errorf("parseArgs(%q) accepted", args)
		}
	}
}

func TestParseDestination(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want target
	}{
		{"host", target{host: "host"}},
		{"alice@host", target{user: "alice", host: "host"}},
		{"alice@host:4443", target{user: "alice", host: "host", port: 4443}},
		{"alice@127.0.0.1:4443/ssh3-term", target{user: "alice", host: "127.0.0.1", port: 4443, path: "/ssh3-term"}},
		{"host/secret/path", target{host: "host", path: "/secret/path"}},
		{"[::1]:4443/p", target{host: "::1", port: 4443, path: "/p"}},
		{"bob@[::1]", target{user: "bob", host: "::1"}},
		{"::1", target{host: "::1"}},
		{"me@corp.example@host", target{user: "me@corp.example", host: "host"}},
		{"https://host:4443/ssh3-term", target{host: "host", port: 4443, path: "/ssh3-term"}},
		{"https://alice@[::1]:443/x", target{user: "alice", host: "::1", port: 443, path: "/x"}},
	} {
		got, err := parseDestination(tc.in)
		if err != nil {
			t.Errorf("parseDestination(%q): %v", tc.in, err)
			continue
		}
		if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(target{})); d != "" {
			t.Errorf("parseDestination(%q) (-want +got):\n%s", tc.in, d)
		}
	}
	for _, bad := range []string{"", "@", "host:0", "host:99999", "host:x", "[::1", "[::1]x", "https://", "https://h/p?user=x"} {
		if _, err := parseDestination(bad); err == nil {
			t.Errorf("parseDestination(%q) accepted", bad)
		}
	}
}

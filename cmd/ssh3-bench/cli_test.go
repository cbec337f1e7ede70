package main

import (
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseArgsSetup(t *testing.T) {
	o, err := parseArgs(strings.Fields("setup -rtt 0,10,50,100,200ms -n 7 -json out.json -plot out.svg"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	if o.mode != "setup" || o.n != 7 || o.jsonOut != "out.json" || o.plot != "out.svg" ||
		!slices.Equal(o.rtts, []time.Duration{0, 10 * ms, 50 * ms, 100 * ms, 200 * ms}) {
		t.Errorf("options = %+v", o)
	}
	if !slices.Equal(o.profiles, []string{"ssh3-alpha", "rth3-00"}) {
		t.Errorf("profiles = %v", o.profiles)
	}
	names := []string{}
	for _, i := range implList(o) {
		names = append(names, i.Name)
	}
	if !slices.Equal(names, []string{"ssh3/ssh3-alpha", "ssh3/rth3-00", "openssh"}) {
		t.Errorf("implementations = %v", names)
	}
}

func TestParseArgsTemplates(t *testing.T) {
	args := []string{"setup", "-impl", "orig", "-client", "ssh3 -insecure {user}@{host}:{port}/x {cmd}", "-server", "ssh3-server -bind {host}:{port}",
		"-no-openssh", "-profiles", "rth3-00"}
	o, err := parseArgs(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	impls := implList(o)
	if len(impls) != 2 || impls[0].Name != "ssh3/rth3-00" || impls[1].Name != "orig" || impls[1].Client != args[4] || impls[1].Server != args[6] {
		t.Errorf("implementations = %+v", impls)
	}
}

func TestParseArgsSmokeIsSmall(t *testing.T) {
	o, err := parseArgs([]string{"smoke", "-n", "10", "-rtt", "200ms"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.n != 1 || !slices.Equal(o.rtts, []time.Duration{0}) || o.size > 16<<20 || o.keys > 5 || slices.Max(o.conns) > 100 {
		t.Errorf("smoke options not small: %+v", o)
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-n", "3"},
		{"bogus"},
		{"setup", "-n", "0"},
		{"setup", "-rtt", "fast"},
		{"setup", "-impl", "x", "-client", "c"},
		{"setup", "-profiles", "ssh2"},
		{"throughput", "-size", "lots"},
		{"scale", "-conns", "0"},
		{"setup", "extra"},
		{"plot", "-json", "x.json"},
	} {
		if _, err := parseArgs(args, io.Discard); err == nil {
			t.Errorf("parseArgs(%q): want an error", args)
		}
	}
}

func TestRunUsageExitCodes(t *testing.T) {
	var errOut strings.Builder
	if code := run(nil, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage: ssh3-bench MODE") {
		t.Errorf("no arguments: exit %d, stderr %q", code, errOut.String())
	}
	if code := run([]string{"setup", "-h"}, io.Discard, io.Discard); code != 0 {
		t.Errorf("-h: exit %d, want 0", code)
	}
}

func TestPlotRedrawsFromJSON(t *testing.T) {
	dir := t.TempDir()
	js := dir + "/s.json"
	if err := os.WriteFile(js, []byte(`{"method":"tun-relay: x","results":[{"impl":"openssh","rtt_ms":50,"n":3,"median_ms":900,"min_ms":1,"max_ms":2,"rtts":18,"first_byte_median_ms":899}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var errOut strings.Builder
	if code := run([]string{"plot", "-json", js, "-plot", dir + "/s.svg"}, io.Discard, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	b, err := os.ReadFile(dir + "/s.svg")
	if err != nil || !strings.Contains(string(b), "openssh: exit") {
		t.Errorf("plot not written: %v %.200s", err, b)
	}
}

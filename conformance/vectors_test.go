package conformance_test

import (
	"strings"
	"testing"

	"github.com/ssh3-project/ssh3/conformance"
	"github.com/ssh3-project/ssh3/spec"
)

func TestReplayVectors(t *testing.T) {
	files, err := spec.VectorFiles()
	if err != nil {
		t.Fatal(err)
	}
	r := conformance.ReplayVectors(files)
	checks := map[string]conformance.Check{}
	for _, c := range r.Checks {
		checks[c.Group+"/"+c.ID] = c
		if c.Result == conformance.Fail {
			t.Errorf("%s %s: %s\n  expected: %s\n  observed: %s", c.Group, c.ID, c.Detail, c.Expected, c.Observed)
		}
	}
	exercised := 0
	for _, f := range files {
		for _, v := range f.Vectors {
			c, ok := checks[f.Name+"/"+v.ID]
			if !ok {
				t.Errorf("%s %s: not in the report", f.Name, v.ID)
				continue
			}
			_, stimulus, _ := conformance.Stimulus(v)
			if conformance.FrameLayer(v.Layer) && (v.Hex != "" || stimulus) {
				exercised++
				if c.Result == conformance.NA {
					t.Errorf("%s %s: has bytes but was not replayed (%s)", f.Name, v.ID, c.Detail)
				}
			}
		}
	}
	if exercised == 0 {
		t.Fatal("no vector of a frame layer has bytes: the embedded vectors are missing")
	}
	t.Logf("%s (%d vectors with bytes replayed)", r.Summary(), exercised)
}

// TestReplayVectorFailures checks that a vector the frame package does not
// reproduce is reported as a failure, not passed over.
func TestReplayVectorFailures(t *testing.T) {
	f := spec.VectorFile{Name: "t.json", Profile: "ssh3-alpha"}
	cases := []struct {
		v    spec.Vector
		want string // in Detail
	}{
		{spec.Vector{ID: "trailing", Layer: "message", Hex: "40600a"}, "took 2 of 3 bytes"},
		{spec.Vector{ID: "truncated", Layer: "message", Hex: "405e05ab"}, "does not decode"},
		{spec.Vector{ID: "non-minimal", Layer: "message", Hex: "8000005e00"}, "re-encoding differs"},
		{spec.Vector{ID: "field", Layer: "message", Hex: "4060", Fields: map[string]any{"message_type": 97.0}}, "message_type: vector 97, decoded 96"},
		{spec.Vector{ID: "not-channel", Layer: "channel-header", Hex: "00"}, "does not decode"},
	}
	for _, tc := range cases {
		c := conformance.ReplayVector(f, tc.v)
		if c.Result != conformance.Fail || !strings.Contains(c.Detail, tc.want) {
			t.Errorf("%s: %s %q, want a failure saying %q", tc.v.ID, c.Result, c.Detail, tc.want)
		}
	}
	bad := spec.VectorFile{Name: "t.json", Profile: "no-such-profile"}
	if c := conformance.ReplayVector(bad, spec.Vector{ID: "x", Layer: "message", Hex: "4060"}); c.Result != conformance.Fail {
		t.Errorf("unknown profile: %s, want fail", c.Result)
	}
}

func TestReplayVectorNA(t *testing.T) {
	f := spec.VectorFile{Name: "t.json", Profile: "ssh3-alpha"}
	for _, v := range []spec.Vector{
		{ID: "http", Layer: "http-response", Hex: "0103"},
		{ID: "jwt", Layer: "jwt-claims", Text: "{}"},
		{ID: "observation", Layer: "message", Behaviour: "nothing happens"},
	} {
		if c := conformance.ReplayVector(f, v); c.Result != conformance.NA {
			t.Errorf("%s: %s, want n/a", v.ID, c.Result)
		}
	}
}

func TestReplayStimulus(t *testing.T) {
	f := spec.VectorFile{Name: "t.json", Profile: "ssh3-alpha"}
	v := spec.Vector{ID: "s", Layer: "message", Fields: map[string]any{
		// a session header, then exec "ls", then a truncated message
		"stimulus_hex": "c0000000af3627e6000773657373696f6e800075304062046578656301026c73405e05",
	}}
	c := conformance.ReplayVector(f, v)
	if c.Result != conformance.Pass {
		t.Fatalf("%s: %s", c.Result, c.Detail)
	}
	for _, want := range []string{"session channel header", "CHANNEL_REQUEST exec", "then error:"} {
		if !strings.Contains(c.Observed, want) {
			t.Errorf("observed %q lacks %q", c.Observed, want)
		}
	}
}

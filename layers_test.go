package ssh3_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A rule constrains the direct imports of the packages at From (a path
// relative to the module root, matching that package and every package below
// it; "" matches the whole module). Import paths in Only and Deny are
// relative to the module root when they do not start with a domain
// (a first element containing a dot), and match that path and everything
// below it.
type rule struct {
	From    string
	StdOnly bool     // only the standard library
	Only    []string // if set, nothing outside the standard library but these
	Deny    []string // never these
}

// layerRules is the layering of README.md ("Layout"), as data.
var layerRules = []rule{
	{From: "wire", StdOnly: true},
	{From: "frame", Only: []string{"wire"}}, // so never github.com/quic-go either
	{From: "spec", StdOnly: true},
	{From: "auth", Deny: []string{"github.com/quic-go", "conn", "app", "cmd", "conformance"}},
	{From: "conn", Deny: []string{"app", "cmd", "auth", "conformance"}},
	{From: "app", Deny: []string{"cmd", "conformance"}},
	// The client's halves never import the server's (see TestClientDeps).
	{From: "app/session", Deny: []string{"app/host", "app/server", "auth/verify", "github.com/creack/pty"}},
	{From: "app/client", Deny: []string{"app/host", "app/server", "auth/verify", "github.com/creack/pty"}},
	// The ssh3 command talks to app/client only: it never branches on conn's types.
	{From: "cmd/ssh3", Deny: []string{"conn"}},
	// The suite computes tokens and bindings with its own code (black-box:
	// a bug in auth must not pass on both sides); its tests cross-check it
	// against auth, which go list's non-test imports do not show.
	{From: "conformance", Deny: []string{"app", "cmd", "auth"}},
	// interop drives the binaries only: nothing of this module.
	{From: "interop", Deny: []string{"wire", "frame", "spec", "auth", "conn", "app", "cmd", "conformance", "bench"}},
	{From: "", Deny: []string{"cmd"}}, // nothing imports cmd; fuzz and bench may import anything else
}

// module is what the check needs to know of go.mod.
type module struct {
	Path     string   // the module path
	Requires []string // every module path go.mod requires
}

// checkLayers reports every import in graph (a package's import path to its
// direct imports) that breaks a rule or that comes from a module go.mod does
// not require. Only packages of mod are checked. The result is sorted.
func checkLayers(graph map[string][]string, mod module, rules []rule) []string {
	var out []string
	for pkg, imports := range graph {
		rel, ok := relPath(mod.Path, pkg)
		if !ok {
			continue
		}
		for _, imp := range imports {
			for _, r := range rules {
				if under(rel, r.From) {
					if msg := r.check(mod.Path, imp); msg != "" {
						out = append(out, fmt.Sprintf("%s imports %s: %s", pkg, imp, msg))
					}
				}
			}
			if !isStd(imp) && !mod.owns(imp) {
				out = append(out, fmt.Sprintf("%s imports %s: no module required by go.mod provides it", pkg, imp))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// check returns why imp breaks r, or "".
func (r rule) check(modPath, imp string) string {
	for _, d := range r.Deny {
		if matches(modPath, imp, d) {
			if r.From == "" {
				return "nothing may import " + d
			}
			return fmt.Sprintf("%s may never import %s", r.From, d)
		}
	}
	if isStd(imp) {
		return ""
	}
	if r.StdOnly {
		return fmt.Sprintf("%s may import only the standard library", r.From)
	}
	if r.Only != nil && !slices.ContainsFunc(r.Only, func(o string) bool { return matches(modPath, imp, o) }) {
		return fmt.Sprintf("%s may import only %s and the standard library", r.From, strings.Join(r.Only, ", "))
	}
	return ""
}

// owns reports whether imp is in m or in a module m requires.
func (m module) owns(imp string) bool {
	if under(imp, m.Path) {
		return true
	}
	return slices.ContainsFunc(m.Requires, func(r string) bool { return under(imp, r) })
}

// matches reports whether imp is pattern or below it; a pattern without a
// domain is relative to the module.
func matches(modPath, imp, pattern string) bool {
	if !hasDomain(pattern) {
		pattern = modPath + "/" + pattern
	}
	return under(imp, pattern)
}

// relPath is pkg relative to the module root ("" for the root itself).
func relPath(modPath, pkg string) (string, bool) {
	if pkg == modPath {
		return "", true
	}
	rel, ok := strings.CutPrefix(pkg, modPath+"/")
	return rel, ok
}

// under reports whether path is dir or below it; every path is under "".
func under(path, dir string) bool {
	return dir == "" || path == dir || strings.HasPrefix(path, dir+"/")
}

// isStd applies the go command's rule: a standard-library import path has no
// dot in its first element.
func isStd(path string) bool { return !hasDomain(path) }

func hasDomain(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return strings.Contains(first, ".")
}

// loadGraph runs the go command in dir and returns the module's go.mod
// requirements and the direct imports of its non-test packages (as built
// with no extra tags).
func loadGraph(dir string) (map[string][]string, module, error) {
	out, err := goCmd(dir, "mod", "edit", "-json")
	if err != nil {
		return nil, module{}, err
	}
	var gomod struct {
		Module  struct{ Path string }
		Require []struct{ Path string }
	}
	if err := json.Unmarshal(out, &gomod); err != nil {
		return nil, module{}, fmt.Errorf("go mod edit -json: %w", err)
	}
	mod := module{Path: gomod.Module.Path}
	for _, r := range gomod.Require {
		mod.Requires = append(mod.Requires, r.Path)
	}

	out, err = goCmd(dir, "list", "-e", "-deps", "-json", "./...")
	if err != nil {
		return nil, module{}, err
	}
	graph := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
			Module     *struct{ Path string }
		}
		if err := dec.Decode(&p); err != nil {
			return nil, module{}, fmt.Errorf("go list: %w", err)
		}
		if p.Module != nil && p.Module.Path == mod.Path {
			graph[p.ImportPath] = p.Imports
		}
	}
	return graph, mod, nil
}

func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
}

// TestLayers checks this repository's import graph against layerRules.
func TestLayers(t *testing.T) {
	needGo(t)
	graph, mod, err := loadGraph(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"wire", "frame", "spec"} {
		if _, ok := graph[mod.Path+"/"+pkg]; !ok {
			t.Fatalf("go list found no package %s/%s: the graph is not this repository's", mod.Path, pkg)
		}
	}
	for _, v := range checkLayers(graph, mod, layerRules) {
		t.Error(v)
	}
}

// serverOnly are the packages a client binary must never link: PAM through
// cgo, ptys, the password database's processes.
var serverOnly = []string{"auth/verify", "app/host", "app/server", "github.com/creack/pty"}

// TestClientDeps: everything cmd/ssh3 links, directly or not, is free of
// server-only packages and of cgo outside the standard library, so the
// client builds with CGO_ENABLED=0 for every OS (CI cross-builds it) and
// `ldd ssh3` shows no libpam.
func TestClientDeps(t *testing.T) {
	needGo(t)
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}} {{len .CgoFiles}}", "./cmd/ssh3").Output()
	if err != nil {
		t.Fatal(err)
	}
	var mod module
	if b, err := exec.Command("go", "list", "-m", "-f", "{{.Path}}").Output(); err == nil {
		mod.Path = strings.TrimSpace(string(b))
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		pkg, std, cgo := f[0], f[1] == "true", f[2] != "0"
		for _, s := range serverOnly {
			if matches(mod.Path, pkg, s) {
				t.Errorf("cmd/ssh3 links %s, which is the server's", pkg)
			}
		}
		if cgo && !std {
			t.Errorf("cmd/ssh3 links %s, which uses cgo", pkg)
		}
	}
}

// channelTypeName matches a use of one of frame's channel type names.
var channelTypeName = regexp.MustCompile(`\bframe\.Channel(Session|Direct|Reverse|Agent)[A-Za-z]*\b`)

// TestConnNamesNoChannelType: conn carries channels without knowing what
// they are for; frame decides which carry raw bytes or datagrams
// (Profile.RawChannel, ChannelHeader.CarriesDatagrams), and app says what
// each type means.
func TestConnNamesNoChannelType(t *testing.T) {
	files, err := filepath.Glob("conn/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conn sources: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := channelTypeName.FindString(line); m != "" {
				t.Errorf("%s:%d names the channel type %s", f, i+1, m)
			}
		}
	}
}

// TestLayersCatchViolations proves the check reports each kind of violation.
func TestLayersCatchViolations(t *testing.T) {
	const m = "example.com/m"
	mod := module{Path: m, Requires: []string{"github.com/quic-go/quic-go", "golang.org/x/term"}}
	graph := map[string][]string{
		m + "/wire":             {"io", m + "/frame"},
		m + "/frame":            {"fmt", m + "/wire", "github.com/quic-go/quic-go"},
		m + "/spec":             {"golang.org/x/term"},
		m + "/auth":             {m + "/conn", "github.com/quic-go/quic-go/http3"},
		m + "/conn":             {m + "/frame", m + "/auth", "github.com/quic-go/quic-go/http3"},
		m + "/conformance":      {m + "/frame", m + "/app/session"},
		m + "/app":              {m + "/conn", m + "/auth", m + "/frame"},
		m + "/fuzz":             {m + "/app", m + "/conn", m + "/cmd/ssh3"},
		m + "/bench":            {m + "/app", "example.org/unlisted"},
		m + "/cmd/ssh3":         {m + "/app", "golang.org/x/term"},
		"example.org/elsewhere": {m + "/cmd/ssh3"}, // not this module: ignored
	}
	got := checkLayers(graph, mod, layerRules)
	want := []string{
		m + "/auth imports " + m + "/conn: auth may never import conn",
		m + "/auth imports github.com/quic-go/quic-go/http3: auth may never import github.com/quic-go",
		m + "/bench imports example.org/unlisted: no module required by go.mod provides it",
		m + "/conformance imports " + m + "/app/session: conformance may never import app",
		m + "/conn imports " + m + "/auth: conn may never import auth",
		m + "/frame imports github.com/quic-go/quic-go: frame may import only wire and the standard library",
		m + "/fuzz imports " + m + "/cmd/ssh3: nothing may import cmd",
		m + "/spec imports golang.org/x/term: spec may import only the standard library",
		m + "/wire imports " + m + "/frame: wire may import only the standard library",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if v := checkLayers(map[string][]string{m + "/frame": {m + "/wire", "io"}}, mod, layerRules); len(v) != 0 {
		t.Errorf("a clean graph reported %q", v)
	}
}

// TestLayersGoList runs the real go list pipeline on a throwaway module with
// a forbidden import.
func TestLayersGoList(t *testing.T) {
	needGo(t)
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":         "module example.com/tmp\n\ngo 1.26\n",
		"wire/wire.go":   "package wire\n\nimport _ \"example.com/tmp/frame\"\n",
		"frame/frame.go": "package frame\n\nimport _ \"io\"\n",
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	graph, mod, err := loadGraph(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := checkLayers(graph, mod, layerRules)
	want := []string{"example.com/tmp/wire imports example.com/tmp/frame: wire may import only the standard library"}
	if !slices.Equal(got, want) {
		t.Errorf("violations %q, want %q", got, want)
	}
}

package spec

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed vectors/*.json
var vectorFiles embed.FS

// Vector is one entry of a vectors file (see vectors/README.md). Hex is the
// exact bytes a peer put on the wire; Fields is authoritative over
// Description.
type Vector struct {
	ID          string         `json:"id"`
	Layer       string         `json:"layer"`
	Direction   string         `json:"direction"`
	Capture     string         `json:"capture,omitempty"`
	Description string         `json:"description"`
	Hex         string         `json:"hex,omitempty"`
	Text        string         `json:"text,omitempty"`
	Behaviour   string         `json:"behaviour,omitempty"`
	Fields      map[string]any `json:"fields,omitempty"`
}

// Bytes decodes Hex.
func (v Vector) Bytes() ([]byte, error) {
	b, err := hex.DecodeString(v.Hex)
	if err != nil {
		return nil, fmt.Errorf("spec: vector %s: %w", v.ID, err)
	}
	return b, nil
}

// VectorFile is one vectors file: the vectors of one profile.
type VectorFile struct {
	Name     string   `json:"-"` // file name
	Source   string   `json:"source"`
	Profile  string   `json:"profile"`
	Captured string   `json:"captured"`
	Vectors  []Vector `json:"vectors"`
}

// VectorFiles loads every embedded vectors file, sorted by name.
func VectorFiles() ([]VectorFile, error) {
	names, err := fs.Glob(vectorFiles, "vectors/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []VectorFile
	for _, name := range names {
		raw, err := vectorFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := ParseVectorFile(raw)
		if err != nil {
			return nil, fmt.Errorf("spec: %s: %w", name, err)
		}
		f.Name = path.Base(name)
		out = append(out, f)
	}
	return out, nil
}

// ParseVectorFile decodes a vectors file.
func ParseVectorFile(raw []byte) (VectorFile, error) {
	var f VectorFile
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&f); err != nil {
		return VectorFile{}, fmt.Errorf("spec: vectors: %w", err)
	}
	return f, nil
}

// Vectors returns every vector of profile (e.g. "ssh3-alpha", "rth3-00")
// across all files.
func Vectors(profile string) ([]Vector, error) {
	files, err := VectorFiles()
	if err != nil {
		return nil, err
	}
	var out []Vector
	for _, f := range files {
		if f.Profile == profile {
			out = append(out, f.Vectors...)
		}
	}
	return out, nil
}

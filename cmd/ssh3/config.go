package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// hostConfig is what ~/.ssh/config says of a host, read with the keys
// OpenSSH users already have, plus SSH3's own (put `IgnoreUnknown SSH3*`
// at the top of the file so OpenSSH skips them). OpenSSH's Port is a TCP
// port and is ignored; SSH3Port sets the UDP port.
type hostConfig struct {
	HostName              string
	User                  string
	IdentityFiles         []string
	IdentitiesOnly        bool
	UserKnownHostsFile    string
	StrictHostKeyChecking string // yes, no, ask, accept-new
	Port                  int    // SSH3Port
	Path                  string // SSH3Path
	Profile               string // SSH3Profile
}

// loadHostConfig reads file (empty: ~/.ssh/config, which may be missing)
// for alias, applies the -o options on top, and expands ~ and %-tokens in
// file names.
func loadHostConfig(file, alias string, overrides []string, home string) (*hostConfig, error) {
	explicit := file != ""
	if !explicit {
		file = filepath.Join(home, ".ssh", "config")
	}
	cfg := &ssh_config.Config{}
	raw, err := os.ReadFile(file)
	switch {
	case err == nil:
		if cfg, err = ssh_config.DecodeBytes(raw); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	case explicit || !os.IsNotExist(err):
		return nil, fmt.Errorf("reading ssh config: %w", err)
	}
	get := func(key string) string {
		for _, o := range overrides {
			k, v, ok := cutOption(o)
			if ok && strings.EqualFold(k, key) {
				return v
			}
		}
		v, _ := cfg.Get(alias, key)
		return v
	}
	h := &hostConfig{
		HostName:              get("HostName"),
		User:                  get("User"),
		IdentitiesOnly:        strings.EqualFold(get("IdentitiesOnly"), "yes"),
		UserKnownHostsFile:    get("UserKnownHostsFile"),
		StrictHostKeyChecking: strings.ToLower(get("StrictHostKeyChecking")),
		Path:                  get("SSH3Path"),
		Profile:               get("SSH3Profile"),
	}
	if p := get("SSH3Port"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, usageErr("bad SSH3Port %q", p)
		}
		h.Port = n
	}
	ids, _ := cfg.GetAll(alias, "IdentityFile")
	for _, o := range overrides {
		if k, v, ok := cutOption(o); ok && strings.EqualFold(k, "IdentityFile") {
			ids = append([]string{v}, ids...)
		}
	}
	for _, id := range ids {
		h.IdentityFiles = append(h.IdentityFiles, expandPath(id, home))
	}
	if h.UserKnownHostsFile != "" {
		h.UserKnownHostsFile = expandPath(strings.Fields(h.UserKnownHostsFile)[0], home)
	}
	return h, nil
}

// cutOption splits a -o argument: "Key=Value" or "Key Value".
func cutOption(o string) (string, string, bool) {
	o = strings.TrimSpace(o)
	if k, v, ok := strings.Cut(o, "="); ok {
		return strings.TrimSpace(k), strings.TrimSpace(v), true
	}
	k, v, ok := strings.Cut(o, " ")
	return k, strings.TrimSpace(v), ok
}

// expandPath expands a leading ~ and the %d (home) token.
func expandPath(p, home string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		p = home + p[1:]
	}
	return strings.ReplaceAll(p, "%d", home)
}

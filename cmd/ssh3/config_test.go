package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadHostConfig(t *testing.T) {
	home := t.TempDir()
	conf := filepath.Join(home, "config")
	err := os.WriteFile(conf, []byte(`IgnoreUnknown SSH3*
Host box
    HostName 192.0.2.10
    User alice
    Port 22
    IdentityFile ~/.ssh/id_box
    IdentitiesOnly yes
    UserKnownHostsFile ~/.ssh3/known_hosts_box
    StrictHostKeyChecking accept-new
    SSH3Port 4443
    SSH3Path /secret
    SSH3Profile rth3-00

Host *
    IdentityFile %d/.ssh/id_ed25519
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loadHostConfig(conf, "box", []string{"User=bob"}, home)
	if err != nil {
		t.Fatal(err)
	}
	want := &hostConfig{
		HostName: "192.0.2.10", User: "bob",
		IdentityFiles:      []string{home + "/.ssh/id_box", home + "/.ssh/id_ed25519"},
		IdentitiesOnly:     true,
		UserKnownHostsFile: home + "/.ssh3/known_hosts_box", StrictHostKeyChecking: "accept-new",
		Port: 4443, Path: "/secret", Profile: "rth3-00",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("loadHostConfig (-want +got):\n%s", d)
	}
	other, err := loadHostConfig(conf, "elsewhere", nil, home)
	if err != nil {
		t.Fatal(err)
	}
	if other.Port != 0 || other.HostName != "" || len(other.IdentityFiles) != 1 {
		t.Errorf("unmatched host got %+v", other)
	}
}

func TestLoadHostConfigMissing(t *testing.T) {
	home := t.TempDir()
	if _, err := loadHostConfig("", "h", nil, home); err != nil {
		t.Errorf("missing default config: %v", err)
	}
	if _, err := loadHostConfig(filepath.Join(home, "nope"), "h", nil, home); err == nil {
		t.Error("missing -F file accepted")
	}
	bad := filepath.Join(home, "bad")
	_ = os.WriteFile(bad, []byte("Host x\n  SSH3Port nine\n"), 0o600)
	if _, err := loadHostConfig(bad, "x", nil, home); err == nil {
		t.Error("bad SSH3Port accepted")
	}
}

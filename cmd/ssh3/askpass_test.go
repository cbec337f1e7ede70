package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAskpassProgram(t *testing.T) {
	none := func(string) bool { return false }
	some := func(p string) bool { return p == defaultAskpass }
	for _, tc := range []struct {
		name   string
		env    map[string]string
		tty    bool
		exists func(string) bool
		want   string
	}{
		{"nothing set", nil, false, none, ""},
		{"no display, no tty", map[string]string{"SSH_ASKPASS": "/x"}, false, none, ""},
		{"display, no tty", map[string]string{"SSH_ASKPASS": "/x", "DISPLAY": ":0"}, false, none, "/x"},
		{"wayland, no tty", map[string]string{"SSH_ASKPASS": "/x", "WAYLAND_DISPLAY": "wayland-0"}, false, none, "/x"},
		{"display but a tty", map[string]string{"SSH_ASKPASS": "/x", "DISPLAY": ":0"}, true, none, ""},
		{"force", map[string]string{"SSH_ASKPASS": "/x", "SSH_ASKPASS_REQUIRE": "force"}, true, none, "/x"},
		{"prefer", map[string]string{"SSH_ASKPASS": "/x", "SSH_ASKPASS_REQUIRE": "prefer"}, true, none, "/x"},
		{"never", map[string]string{"SSH_ASKPASS": "/x", "SSH_ASKPASS_REQUIRE": "never", "DISPLAY": ":0"}, false, none, ""},
		{"force without a program", map[string]string{"SSH_ASKPASS_REQUIRE": "force"}, false, none, ""},
		{"default program", map[string]string{"SSH_ASKPASS_REQUIRE": "force"}, true, some, defaultAskpass},
	} {
		getenv := func(k string) string { return tc.env[k] }
		if got := askpassProgram(getenv, tc.tty, tc.exists); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRunAskpass(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "askpass")
	script := "#!/bin/sh\nprintf '%s' \"$1\" > " + filepath.Join(dir, "prompt") + "\necho 's3cret pass'\n"
	if err := os.WriteFile(prog, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	got, err := runAskpass(prog, "alice's password: ")
	if err != nil || got != "s3cret pass" {
		t.Fatalf("runAskpass = %q, %v; want \"s3cret pass\"", got, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "prompt")); string(b) != "alice's password: " {
		t.Errorf("prompt argument %q", b)
	}
	refuse := filepath.Join(dir, "refuse")
	if err := os.WriteFile(refuse, []byte("#!/bin/sh\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := runAskpass(refuse, "p: "); err == nil {
		t.Error("an askpass that exits 1 gave no error")
	}
}

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ourClient finds this project's client for client-under-test mode: built
// from source with `go build` when the module's source is at hand (so it
// is never stale), else an ssh3 next to this executable or in ./bin. It
// returns the path, or "" and why there is none, and what to remove when
// done.
func ourClient() (bin, why string, cleanup func()) {
	cleanup = func() {}
	if root := moduleRoot(); root != "" {
		if _, err := exec.LookPath("go"); err == nil {
			dir, err := os.MkdirTemp("", "ssh3-conformance-client-")
			if err == nil {
				bin := filepath.Join(dir, "ssh3")
				cleanup = func() { os.RemoveAll(dir) }
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ssh3")
				cmd.Dir = root
				if err := cmd.Run(); err == nil {
					return bin, "", cleanup
				}
			}
		}
	}
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), "ssh3"); isExec(p) {
			return p, "", cleanup
		}
	}
	if isExec("bin/ssh3") {
		p, _ := filepath.Abs("bin/ssh3")
		return p, "", cleanup
	}
	return "", "this project's client (cmd/ssh3) could not be built or found; give -client-cmd", cleanup
}

// ourTemplates are the password and UDP-forward templates of this
// project's client bin.
func ourTemplates(bin string) (password, udp string) {
	return bin + " -insecure -profile {profile} -use-password {user}@{hostport}{path} {cmd}",
		bin + " -insecure -profile {profile} -i {key} -N -L udp:{lport}:{thost}:{tport} {user}@{hostport}{path}"
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// moduleRoot is the directory of this module's go.mod, searched upwards
// from the working directory.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/ssh3-project/ssh3\n") {
			if _, err := os.Stat(filepath.Join(dir, "cmd", "ssh3")); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

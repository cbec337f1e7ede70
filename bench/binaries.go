package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// FindBinaries returns a directory holding ssh3 and ssh3-server: dir if
// given, else the directory of the running executable if it has both,
// else a fresh `go build` of this module into tmp.
func FindBinaries(dir, tmp string) (string, error) {
	has := func(d string) bool {
		for _, b := range []string{"ssh3", "ssh3-server"} {
			if _, err := os.Stat(filepath.Join(d, b)); err != nil {
				return false
			}
		}
		return true
	}
	if dir != "" {
		if !has(dir) {
			return "", fmt.Errorf("bench: %s lacks ssh3 or ssh3-server", dir)
		}
		return filepath.Abs(dir)
	}
	if exe, err := os.Executable(); err == nil && has(filepath.Dir(exe)) {
		return filepath.Dir(exe), nil
	}
	out := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", out+"/",
		"github.com/ssh3-project/ssh3/cmd/ssh3", "github.com/ssh3-project/ssh3/cmd/ssh3-server")
	if b, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: building ssh3 and ssh3-server (run from the module, or give -bin): %v: %s", err, b)
	}
	return out, nil
}

package auth

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules checks the layering: auth and its subpackages import only
// the standard library, wire/frame, and the allowed third-party modules, and
// nothing depends on QUIC or on the layers above.
func TestImportRules(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	out, err := exec.Command(goBin, "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{
		"github.com/ssh3-project/ssh3/auth", "github.com/ssh3-project/ssh3/wire", "github.com/ssh3-project/ssh3/frame",
		"golang.org/x/crypto/", "golang.org/x/term", "github.com/go-jose/go-jose/v4", "github.com/coreos/go-oidc/v3",
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") || imp == "C" {
				continue // standard library or cgo
			}
			ok := false
			for _, a := range allowed {
				ok = ok || strings.HasPrefix(imp, a)
			}
			if !ok {
				t.Errorf("%s imports %s", f[0], imp)
			}
		}
	}
	deps, err := exec.Command(goBin, "list", "-deps", "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range strings.Fields(string(deps)) {
		for _, bad := range []string{"github.com/quic-go/", "github.com/ssh3-project/ssh3/conn", "github.com/ssh3-project/ssh3/app", "github.com/ssh3-project/ssh3/cmd"} {
			if strings.HasPrefix(d, bad) {
				t.Errorf("auth depends on %s", d)
			}
		}
	}
}

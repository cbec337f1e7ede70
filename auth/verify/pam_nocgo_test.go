//go:build !cgo || !linux

package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/ssh3-project/ssh3/auth"
)

func TestPAMUnavailableWithoutCgo(t *testing.T) {
	if PAMAvailable {
		t.Fatal("PAMAvailable in a build without cgo")
	}
	err := (&PAM{}).CheckPassword(context.Background(), "root", "x", "")
	if !errors.Is(err, auth.ErrPasswordsDisabled) {
		t.Error(err)
	}
}

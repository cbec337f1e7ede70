//go:build !cgo || !linux

package auth

import (
	"context"
	"errors"
	"testing"
)

func TestPAMUnavailableWithoutCgo(t *testing.T) {
	if PAMAvailable {
		t.Fatal("PAMAvailable in a build without cgo")
	}
	err := (&PAM{}).CheckPassword(context.Background(), "root", "x", "")
	if !errors.Is(err, ErrPasswordsDisabled) {
		t.Error(err)
	}
}

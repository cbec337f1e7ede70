//go:build !cgo || !linux

package verify

import (
	"context"
	"fmt"

	"github.com/ssh3-project/ssh3/auth"
)

// PAMAvailable reports whether this build can check passwords with PAM.
const PAMAvailable = false

// CheckPassword always refuses: this build has no cgo, hence no PAM.
func (p *PAM) CheckPassword(ctx context.Context, user, password, remoteHost string) error {
	return fmt.Errorf("%w: built without cgo, PAM is unavailable", auth.ErrPasswordsDisabled)
}

package verify

import (
	"context"
	"sync"
)

// DefaultPAMService is the PAM service name used when PAM.Service is empty.
// Without /etc/pam.d/ssh3, Linux-PAM applies /etc/pam.d/other (on Debian:
// common-auth, common-account, …).
const DefaultPAMService = "ssh3"

// PAM checks system passwords through PAM (Debian 12 stores yescrypt hashes
// in /etc/shadow, which pam_unix checks), so account policy applies too. It
// needs cgo and libpam (libpam0g-dev to build); without cgo CheckPassword
// returns auth.ErrPasswordsDisabled. The zero value is ready to use.
type PAM struct {
	Service string // PAM service; "" means DefaultPAMService
	// MaxConcurrent bounds simultaneous checks (hashing is costly); 0 means 4.
	MaxConcurrent int

	sem     chan struct{} // created once by semOnce
	semOnce sync.Once
}

var _ PasswordChecker = (*PAM)(nil)

func (p *PAM) service() string {
	if p.Service == "" {
		return DefaultPAMService
	}
	return p.Service
}

func (p *PAM) acquire(ctx context.Context) error {
	p.semOnce.Do(func() {
		n := p.MaxConcurrent
		if n <= 0 {
			n = 4
		}
		p.sem = make(chan struct{}, n)
	})
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *PAM) release() { <-p.sem }

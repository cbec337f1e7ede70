package host

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
)

// Account is the local account a session runs as.
type Account struct {
	Name   string
	UID    uint32
	GID    uint32
	Groups []uint32 // supplementary groups
	Home   string
	Shell  string
}

// DefaultShell is used when the password database names no shell.
const DefaultShell = "/bin/sh"

// passwdPath is the password database read for login shells; tests point it
// elsewhere.
var passwdPath = "/etc/passwd"

// ErrNoAccount is returned for a user the system does not know.
var ErrNoAccount = errors.New("session: no such account")

// LookupAccount finds name in the system's user database, with its groups
// and its login shell.
func LookupAccount(name string) (*Account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("%w: %q", ErrNoAccount, name)
		}
		return nil, fmt.Errorf("session: looking up %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("session: uid %q of %q: %w", u.Uid, name, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("session: gid %q of %q: %w", u.Gid, name, err)
	}
	a := &Account{Name: u.Username, UID: uint32(uid), GID: uint32(gid), Home: u.HomeDir, Shell: loginShell(u.Username)}
	gids, err := u.GroupIds()
	if err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				a.Groups = append(a.Groups, uint32(n))
			}
		}
	}
	if a.Home == "" {
		a.Home = "/"
	}
	return a, nil
}

// CurrentAccount is the account this process runs as.
func CurrentAccount() (*Account, error) {
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("session: current user: %w", err)
	}
	return LookupAccount(u.Username)
}

// loginShell reads the seventh field of name's password entry; os/user does
// not expose it.
func loginShell(name string) string {
	f, err := os.Open(passwdPath)
	if err != nil {
		return DefaultShell
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Split(s.Text(), ":")
		if len(fields) == 7 && fields[0] == name && fields[6] != "" {
			return fields[6]
		}
	}
	return DefaultShell
}

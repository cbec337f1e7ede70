package host

import (
	"path"
	"strconv"
	"strings"
)

// DefaultEnvAllow is the env requests a server accepts unless configured
// otherwise: the locale, as OpenSSH's default AcceptEnv in Debian.
var DefaultEnvAllow = []string{"LANG", "LC_*"}

// DefaultPath is PATH in a login environment.
const (
	DefaultPath     = "/usr/local/bin:/usr/bin:/bin:/usr/games"
	DefaultRootPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// EnvAllowed reports whether the variable name matches one of the patterns
// (shell globs: "LC_*"). Names that could change how a login works are
// refused whatever the patterns say.
func EnvAllowed(name string, patterns []string) bool {
	if name == "" || strings.ContainsAny(name, "=\x00") || protectedEnv[name] {
		return false
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

var protectedEnv = map[string]bool{
	"HOME": true, "USER": true, "LOGNAME": true, "SHELL": true, "PATH": true, "MAIL": true,
	"LD_PRELOAD": true, "LD_LIBRARY_PATH": true, "LD_AUDIT": true, "IFS": true, "BASH_ENV": true, "ENV": true,
	"SSH3_CONNECTION": true, "SSH_CONNECTION": true, "SSH_CLIENT": true, "SSH_TTY": true, "SSH_AUTH_SOCK": true,
}

// Connection describes the transport for the SSH_CONNECTION-style
// variables: "client-ip client-port server-ip server-port".
type Connection struct {
	ClientIP   string
	ClientPort int
	ServerIP   string
	ServerPort int
}

// LoginEnv is the clean environment of a session: nothing of the server's
// own environment leaks in.
func LoginEnv(a *Account, term string, c Connection, extra map[string]string) []string {
	p := DefaultPath
	if a.UID == 0 {
		p = DefaultRootPath
	}
	env := []string{
		"HOME=" + a.Home,
		"USER=" + a.Name,
		"LOGNAME=" + a.Name,
		"SHELL=" + a.Shell,
		"PATH=" + p,
		"MAIL=/var/mail/" + a.Name,
	}
	if term != "" {
		env = append(env, "TERM="+term)
	}
	if c.ClientIP != "" {
		conn := c.ClientIP + " " + strconv.Itoa(c.ClientPort) + " " + c.ServerIP + " " + strconv.Itoa(c.ServerPort)
		env = append(env,
			"SSH3_CONNECTION="+conn,
			"SSH_CONNECTION="+conn,
			"SSH_CLIENT="+c.ClientIP+" "+strconv.Itoa(c.ClientPort)+" "+strconv.Itoa(c.ServerPort))
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

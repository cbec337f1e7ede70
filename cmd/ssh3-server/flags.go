package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// config is the parsed command line. The original server's flags keep
// their names and meaning.
type config struct {
	bind               string
	certFile, keyFile  string
	urlPath            string
	generateSelfSigned bool
	publicCertDomain   string
	acmeCache          string
	acmeEmail          string
	acmeDirectory      string
	passwordLogin      bool
	verbose            bool
	version            bool
	profile            string
	envAllow           string
	subsystems         multiFlag
	noWWWAuthenticate  bool
	stockSettings      bool
	shutdownGrace      string
	authorizedFiles    string
	disableForwarding  string
	gatewayPorts       bool
	maxStartups        string
	loginGraceTime     string
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("ssh3-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.bind, "bind", "[::]:443", "UDP `address` to listen on")
	fs.StringVar(&c.certFile, "cert", "./cert.pem", "TLS certificate `file` (PEM)")
	fs.StringVar(&c.keyFile, "key", "./priv.key", "TLS private key `file` (PEM)")
	fs.StringVar(&c.urlPath, "url-path", "/ssh3-term", "secret URL `path` of the SSH3 endpoint")
	fs.BoolVar(&c.generateSelfSigned, "generate-selfsigned-cert", false, "create a self-signed certificate and key at -cert and -key when they do not exist")
	fs.StringVar(&c.publicCertDomain, "generate-public-cert", "", "obtain a certificate for `domain` from an ACME CA (Let's Encrypt); needs TCP port 80")
	fs.StringVar(&c.acmeCache, "acme-cache", "/var/lib/ssh3/acme", "`directory` where ACME keys and certificates are kept")
	fs.StringVar(&c.acmeEmail, "acme-email", "", "contact `address` given to the ACME CA")
	fs.StringVar(&c.acmeDirectory, "acme-directory", "", "ACME directory `URL` (default: Let's Encrypt)")
	fs.BoolVar(&c.passwordLogin, "enable-password-login", false, "accept passwords (HTTP Basic), checked through PAM")
	fs.BoolVar(&c.verbose, "v", false, "log debug messages")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.StringVar(&c.profile, "profile", "both", "wire profiles to serve: both, ssh3-alpha or rth3-00")
	fs.StringVar(&c.envAllow, "env-allow", "LANG,LC_*", "comma-separated `names` (globs) clients may set with env requests")
	fs.Var(&c.subsystems, "subsystem", "`name=command` serving a subsystem (repeatable)")
	fs.BoolVar(&c.stockSettings, "stock-settings", false, "send HTTP/3 SETTINGS as a stock server does, without announcing that early channels are held (clients then take one round trip more)")
	fs.BoolVar(&c.noWWWAuthenticate, "no-www-authenticate", false, "omit WWW-Authenticate from 401 responses (as the original server does)")
	fs.StringVar(&c.shutdownGrace, "shutdown-grace", "10s", "how long SIGTERM waits for sessions before closing them")
	fs.StringVar(&c.authorizedFiles, "authorized-keys", "%h/.ssh3/authorized_identities,%h/.ssh/authorized_keys",
		"comma-separated identity `files` read for a user (%h: home, %u: user), as OpenSSH's AuthorizedKeysFile")
	fs.StringVar(&c.disableForwarding, "disable-forwarding", "", "comma-separated forwarding `kinds` to refuse: tcp (-L, -D), udp (UDP forwards, -R udp, -J through this server), reverse (-R, TCP and UDP), agent (-A), or all")
	fs.BoolVar(&c.gatewayPorts, "gateway-ports", false, "let remote (-R) forwards listen on non-loopback addresses (sshd's GatewayPorts)")
	fs.StringVar(&c.maxStartups, "max-startups", "10:30:100", "`start:rate:full` bound on unauthenticated connections, as sshd's MaxStartups: from start on, refuse rate% of new ones, rising to all at full")
	fs.StringVar(&c.loginGraceTime, "login-grace-time", "2m", "close a connection that has not authenticated within this `duration` (0: no limit), as sshd's LoginGraceTime")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, nil
}

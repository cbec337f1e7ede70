package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Defaults of a destination.
const (
	defaultPort = 443
	defaultPath = "/ssh3-term"
)

// options is the parsed command line.
type options struct {
	identities   []string // -i, -privkey
	user         string   // -l
	port         int      // -p; 0: from the destination or the default
	configFile   string   // -F
	verbose      int      // -v...
	quiet        bool     // -q
	version      bool     // -V
	noCommand    bool     // -N
	ttyForce     int      // -t count
	ttyNever     bool     // -T
	escape       string   // -e
	sshOptions   []string // -o key=value
	forwardAgent bool     // -A, -forward-agent
	noAgent      bool     // -a
	locals       []string // -L
	remotes      []string // -R
	dynamics     []string // -D
	jumps        []string // -J, -proxy-jump
	insecure     bool     // -insecure
	usePassword  bool     // -use-password
	agentKey     string   // -pubkey-for-agent
	forwardTCP   []string // -forward-tcp lport/ip@rport
	forwardUDP   []string // -forward-udp lport/ip@rport
	keyLog       string   // -keylog
	profile      string   // -profile
	help         bool     // -h, -help

	destination string
	command     []string
}

// errUsage is a command line that does not parse; the message says why.
type errUsage struct{ msg string }

func (e *errUsage) Error() string { return e.msg }

func usageErr(format string, args ...any) error { return &errUsage{fmt.Sprintf(format, args...)} }

// Single-letter options that take an argument, and those that do not.
const (
	letterArgs  = "iIlpFeoLRDJcbmwOQSEBW"
	letterFlags = "vqVNTtAaCfgknsxXYy46GKM"
)

// wordOptions are the original client's long options (one dash or two).
var wordOptions = map[string]struct {
	arg bool
	set func(o *options, v string)
}{
	"privkey":          {true, func(o *options, v string) { o.identities = append(o.identities, v) }},
	"insecure":         {false, func(o *options, _ string) { o.insecure = true }},
	"use-password":     {false, func(o *options, _ string) { o.usePassword = true }},
	"forward-agent":    {false, func(o *options, _ string) { o.forwardAgent = true }},
	"forward-tcp":      {true, func(o *options, v string) { o.forwardTCP = append(o.forwardTCP, v) }},
	"forward-udp":      {true, func(o *options, v string) { o.forwardUDP = append(o.forwardUDP, v) }},
	"proxy-jump":       {true, func(o *options, v string) { o.jumps = append(o.jumps, v) }},
	"pubkey-for-agent": {true, func(o *options, v string) { o.agentKey = v }},
	"keylog":           {true, func(o *options, v string) { o.keyLog = v }},
	"profile":          {true, func(o *options, v string) { o.profile = v }},
	"v":                {false, func(o *options, _ string) { o.verbose++ }},
	"help":             {false, func(o *options, _ string) { o.help = true }},
	"version":          {false, func(o *options, _ string) { o.version = true }},
}

// parseArgs reads the command line the way OpenSSH's ssh does: getopt-style
// letters (-vvv, -tt, -p2222, -p 2222), the original's word options
// (-insecure, -privkey FILE), options before and after the destination, and
// everything after the first argument past the destination as the command.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest := args[i+1:]
			if o.destination == "" && len(rest) > 0 {
				o.destination, rest = rest[0], rest[1:]
			}
			o.command = append(o.command, rest...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if o.destination == "" {
				o.destination = a
				continue
			}
			o.command = args[i:]
			break
		}
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", usageErr("option %s needs an argument", a)
			}
			i++
			return args[i], nil
		}
		name := strings.TrimLeft(a, "-")
		if w, ok := wordOptions[strings.SplitN(name, "=", 2)[0]]; ok && (len(name) > 1 || name == "v") {
			_, val, hasVal := strings.Cut(name, "=")
			if w.arg && !hasVal {
				v, err := next()
				if err != nil {
					return nil, err
				}
				val = v
			}
			w.set(o, val)
			continue
		}
		if strings.HasPrefix(a, "--") {
			return nil, usageErr("unknown option %s", a)
		}
		if err := o.letters(a[1:], next); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// letters handles one cluster of single-letter options, e.g. "vvt" or
// "p2222".
func (o *options) letters(cluster string, next func() (string, error)) error {
	for j := 0; j < len(cluster); j++ {
		c := cluster[j]
		switch {
		case strings.IndexByte(letterArgs, c) >= 0:
			v := cluster[j+1:]
			if v == "" {
				var err error
				if v, err = next(); err != nil {
					return err
				}
			}
			return o.setLetterArg(c, v)
		case strings.IndexByte(letterFlags, c) >= 0:
			o.setLetterFlag(c)
		default:
			return usageErr("unknown option -%c", c)
		}
	}
	return nil
}

func (o *options) setLetterArg(c byte, v string) error {
	switch c {
	case 'i':
		o.identities = append(o.identities, v)
	case 'l':
		o.user = v
	case 'p':
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 || p > 65535 {
			return usageErr("bad port %q", v)
		}
		o.port = p
	case 'F':
		o.configFile = v
	case 'e':
		if v != "none" && len(v) != 1 && !(len(v) == 2 && v[0] == '^') {
			return usageErr("bad escape character %q", v)
		}
		o.escape = v
	case 'o':
		o.sshOptions = append(o.sshOptions, v)
	case 'L':
		o.locals = append(o.locals, v)
	case 'R':
		o.remotes = append(o.remotes, v)
	case 'D':
		o.dynamics = append(o.dynamics, v)
	case 'J':
		o.jumps = append(o.jumps, strings.Split(v, ",")...)
	default:
		// Accepted for OpenSSH compatibility and ignored: -b -c -m -w -O
		// -Q -S -E -B -W -I have no meaning for SSH3 yet.
	}
	return nil
}

func (o *options) setLetterFlag(c byte) {
	switch c {
	case 'v':
		o.verbose++
	case 'q':
		o.quiet = true
	case 'V':
		o.version = true
	case 'N':
		o.noCommand = true
	case 'T':
		o.ttyNever = true
	case 't':
		o.ttyForce++
	case 'A':
		o.forwardAgent = true
	case 'a':
		o.noAgent = true
	}
	// The others (-C -f -g -k -n -s -x -X -Y -y -4 -6 -G -K -M) are accepted
	// and have no effect.
}

// target is a parsed destination.
type target struct {
	user string
	host string
	port int
	path string
}

// hostPort is host:port with IPv6 in brackets.
func (t target) hostPort() string { return net.JoinHostPort(t.host, strconv.Itoa(t.port)) }

// parseDestination reads [user@]host[:port][/path], [user@][v6]:port/path
// and the original's https://[user@]host[:port]/path.
func parseDestination(d string) (target, error) {
	var t target
	if strings.HasPrefix(d, "https://") {
		u, err := url.Parse(d)
		if err != nil || u.Hostname() == "" {
			return t, usageErr("bad destination %q", d)
		}
		if u.User != nil {
			t.user = u.User.Username()
		}
		t.host = u.Hostname()
		if p := u.Port(); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n <= 0 || n > 65535 {
				return t, usageErr("bad port in %q", d)
			}
			t.port = n
		}
		t.path = u.EscapedPath()
		if u.RawQuery != "" {
			return t, usageErr("destination %q has a query; give the user with -l or user@", d)
		}
		return t, nil
	}
	if at := strings.LastIndex(d, "@"); at >= 0 {
		t.user, d = d[:at], d[at+1:]
	}
	hostport := d
	if slash := strings.Index(d, "/"); slash >= 0 && !(strings.HasPrefix(d, "[") && strings.Index(d, "]") > slash) {
		hostport, t.path = d[:slash], d[slash:]
	}
	switch {
	case strings.HasPrefix(hostport, "["):
		end := strings.Index(hostport, "]")
		if end < 0 {
			return t, usageErr("bad destination %q: unclosed [", d)
		}
		t.host = hostport[1:end]
		rest := hostport[end+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return t, usageErr("bad destination %q", d)
			}
			if err := t.setPort(rest[1:]); err != nil {
				return t, err
			}
		}
	case strings.Count(hostport, ":") == 1:
		h, p, _ := strings.Cut(hostport, ":")
		t.host = h
		if err := t.setPort(p); err != nil {
			return t, err
		}
	default:
		t.host = hostport // a bare IPv6 address has several colons and no port
	}
	if t.host == "" {
		return t, usageErr("bad destination %q: no host", d)
	}
	return t, nil
}

func (t *target) setPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		return usageErr("bad port %q", p)
	}
	t.port = n
	return nil
}

var errNoDestination = errors.New("no destination given")

// Package host runs the server's side of session channels (spec/SPEC.md
// §3.6, §2.7): it looks the account up ([LookupAccount]), builds the login
// environment ([LoginEnv], env requests filtered by [EnvAllowed]), starts
// the shell, command or subsystem in its own process group, on a pty when
// asked ([Start]), relays stdin (EOF as G11 says), stdout and stderr, and
// reports the end as exit-status or exit-signal ([ExitMessage], X-ROB-35).
// [Serve] runs one channel to its end. A client that goes away gets its
// process group a SIGHUP, then a SIGKILL after the grace period. Toward a
// peer without the half-close capability, the channel is not FINed after
// the exit (the reference client loses the status's last byte, §6.1).
//
// The package holds what only a server needs (creack/pty, the password
// database, process credentials); the client's side is package
// app/session, which this package builds on.
package host

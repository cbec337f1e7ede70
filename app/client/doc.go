// Package client is the SSH3 client's connection logic: it verifies the
// server (known_hosts, first-use trust, system roots), tries the user's
// credentials in turn, and runs a session, pipelining the session channel
// behind the CONNECT so that a command's first output arrives two round
// trips after the dial starts (spec/SPEC.md §2, §4).
package client

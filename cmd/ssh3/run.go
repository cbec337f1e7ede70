package main

import (
	"errors"
	"fmt"
	"io"
)

// run is the whole client; it returns the exit status: the remote
// command's, or 255 for connection, authentication and usage errors, as
// OpenSSH's ssh does.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err != nil {
		return fail(stderr, err)
	}
	if o.version {
		fmt.Fprintln(stderr, versionString())
		return 0
	}
	if o.destination == "" {
		return fail(stderr, errNoDestination)
	}
	if _, err := parseDestination(o.destination); err != nil {
		return fail(stderr, err)
	}
	return fail(stderr, errors.New("sessions are not wired to the network yet"))
}

func versionString() string { return "ssh3 (ssh3-project) 0.1.0" }

// fail prints the one-line message ssh users expect and returns 255.
func fail(stderr io.Writer, err error) int {
	var u *errUsage
	if errors.As(err, &u) {
		fmt.Fprintf(stderr, "ssh3: %v\nusage: ssh3 [options] [user@]host[:port][/path] [command ...]\n", err)
		return 255
	}
	fmt.Fprintf(stderr, "ssh3: %v\n", err)
	return 255
}

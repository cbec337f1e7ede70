package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// defaultAskpass is where Debian's ssh-askpass packages put the program
// ssh(1) runs when SSH_ASKPASS is unset.
const defaultAskpass = "/usr/bin/ssh-askpass"

// askpassProgram decides, as ssh(1) does, whether a prompt goes to an
// askpass program rather than /dev/tty, and which: SSH_ASKPASS_REQUIRE=never
// never; force always; prefer whenever the program exists; unset, only when
// there is no terminal and a display (DISPLAY or WAYLAND_DISPLAY). The
// program is SSH_ASKPASS, else the default path if it exists. "" means ask
// on the terminal.
func askpassProgram(getenv func(string) string, haveTTY bool, exists func(string) bool) string {
	prog := getenv("SSH_ASKPASS")
	if prog == "" && exists(defaultAskpass) {
		prog = defaultAskpass
	}
	if prog == "" {
		return ""
	}
	switch getenv("SSH_ASKPASS_REQUIRE") {
	case "never":
		return ""
	case "force", "prefer":
		return prog
	}
	if !haveTTY && (getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != "") {
		return prog
	}
	return ""
}

// runAskpass runs prog with the prompt as its argument and returns what it
// printed, without the line ending. A non-zero exit is the user's refusal.
func runAskpass(prog, prompt string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(prog, prompt)
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("askpass %s: %w", prog, err)
	}
	return strings.TrimRight(out.String(), "\r\n"), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

//go:build !linux && !darwin && !freebsd

package session

import "os"

// ModesOf returns no modes where the terminal has no termios (Windows'
// console among others): pty-req then carries an empty blob and the
// server's defaults apply, as OpenSSH's Windows client does.
func ModesOf(*os.File) ([]byte, error) { return nil, nil }

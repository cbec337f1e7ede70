// Command ssh3 is the SSH3 client: ssh over HTTP/3, used as OpenSSH's ssh
// is used.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

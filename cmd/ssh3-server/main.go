// Command ssh3-server is the SSH3 server.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

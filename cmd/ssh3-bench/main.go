// Command ssh3-bench measures session setup, throughput, scale and keystroke
// latency of this project's SSH3 beside OpenSSH; see bench/RESULTS.md.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

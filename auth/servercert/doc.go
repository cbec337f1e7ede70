// Package servercert provides the server's TLS certificate: a generated
// self-signed one (protocol notes §4.6), files given on the command line, or
// one obtained over ACME with golang.org/x/crypto/acme/autocert.
//
// The self-signed certificate carries the DNS names "selfsigned.ssh3" and
// "*" (the names the reference client checks when it has pinned a
// certificate) plus the host names and addresses given. The server should
// serve it whatever the SNI (selfsigned.ssh3, unknown or missing), which a
// tls.Config with a single certificate does.
package servercert

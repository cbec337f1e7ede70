// Package server assembles an SSH3 server from the layers below: conn's
// HTTP/3 server, auth's verifier behind conn's Authenticator, and channel
// handlers registered by channel type (spec/SPEC.md §3.3), of which
// "session" is app/session's.
//
// Run as root, each conversation's sessions run as the authenticated
// account; run as anyone else, the server serves that one account and
// refuses every other user at authentication (401).
package server

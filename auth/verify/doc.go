// Package verify is the server's half of SSH3 authentication (protocol
// notes §4, spec/SPEC.md §4): it decides whether a CONNECT's Authorization
// header admits the ?user= account. It links PAM through cgo, so only the
// server imports it; the client's half and the shared rules are package auth.
//
// [Verifier.Verify] takes a [Request] (profile, Authorization value, ?user=,
// binding, remote address, time) and returns an [*Identity] or exactly
// [auth.ErrDenied], after the same delay whatever the cause; the cause goes to
// [Verifier.Log] as a [*auth.Denial] and never includes the credential. It reads
// ~/.ssh3/authorized_identities then ~/.ssh/authorized_keys (§4.5):
// OpenSSH key lines with their options ([ParseAuthorizedKeyLine]; an option
// not implemented refuses the line) and `oidc <client_id> <issuer> <email>`
// lines. Tokens are checked by [auth.VerifyJWT] rules: algorithm allow-list
// (EdDSA, ES256, ES384, RS256, PS256, PS384, PS512), exp and iat required
// with [auth.Leeway], exp−iat ≤ [auth.MaxLifetime], the profile's claims, jti equal to
// this connection's binding, size ≤ [auth.MaxTokenSize]. Basic credentials must
// name the ?user= account and are checked by a [PasswordChecker] ([PAM]
// with cgo). OIDC tokens are checked by [OIDCVerifier], which also requires
// the nonce to be this connection's binding; the reference implementation
// does not bind OIDC tokens, so tokens it obtains are refused.
//
// The connection layer adapts its own interface to [Verifier.Verify]; this
// package imports no transport code.
package verify

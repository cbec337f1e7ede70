// Package auth authenticates SSH3 conversations (protocol notes §4), on both
// sides.
//
// # Client
//
// A [Credential] produces the Authorization header value of one
// conversation from a [ClientContext] (user, profile, connection binding,
// clock):
//
//   - [KeyCredential]: a JWT signed with a private key file ([LoadKeyFile],
//     [LoadDefaultKeys], OpenSSH and PKCS #8, passphrase callback) or an
//     ssh-agent key ([DialAgent], [Agent.UsableSigners]); §4.2 and §4.4.
//   - [PasswordCredential]: HTTP Basic ([BasicAuthorization]); §4.1.
//   - [OIDCCredential]: an OpenID Connect ID token from the authorization
//     code flow with PKCE through a loopback redirect; §4.3.
//
// JWTs ([SignJWT]) carry the claims of the conversation's profile: for
// ssh3-alpha iss=user, sub="ssh3", aud="unused", client_id="ssh3-<user>"; for
// rth3-00 sub="remote-terminal-<user>"; in both iat (backdated by
// [ClientBackdate]), exp ([ClientLifetime] ahead) and jti =
// base64(EXPORTER-SSH3) ([EncodeBinding], §2.6, gap G14). The JOSE header is
// {"alg":…,"typ":"JWT"} with EdDSA, ES256, ES384 or RS256.
//
// # Server
//
// [Verifier.Verify] takes a [Request] (profile, Authorization value, ?user=,
// binding, remote address, time) and returns an [*Identity] or exactly
// [ErrDenied], after the same delay whatever the cause; the cause goes to
// [Verifier.Log] as a [*Denial] and never includes the credential. It reads
// ~/.ssh3/authorized_identities then ~/.ssh/authorized_keys (§4.5):
// OpenSSH key lines with their options ([ParseAuthorizedKeyLine]; an option
// not implemented refuses the line) and `oidc <client_id> <issuer> <email>`
// lines. Tokens are checked by [VerifyJWT] rules: algorithm allow-list
// (EdDSA, ES256, ES384, RS256, PS256, PS384, PS512), exp and iat required
// with [Leeway], exp−iat ≤ [MaxLifetime], the profile's claims, jti equal to
// this connection's binding, size ≤ [MaxTokenSize]. Basic credentials must
// name the ?user= account and are checked by a [PasswordChecker] ([PAM]
// with cgo). OIDC tokens are checked by [OIDCVerifier], which also requires
// the nonce to be this connection's binding; the reference implementation
// does not bind OIDC tokens, so tokens it obtains are refused.
//
// Subpackages: hosttrust (the client's known_hosts and certificate checks,
// §4.6) and servercert (self-signed and ACME certificates).
//
// This package imports no transport code: the connection layer adapts its
// own interface to [Verifier.Verify].
package auth

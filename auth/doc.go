// Package auth holds the credentials of SSH3 (protocol notes §4): what a
// client needs to authenticate, and the rules both sides share. The server's
// half, which reads authorized keys and checks passwords through PAM (cgo),
// is the subpackage verify, so a client never links it.
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
// # Both sides
//
// Token rules ([VerifyJWT], [ParseJWT]), the connection binding
// ([EncodeBinding], [BindingMatches]), header parsing ([ParseAuthorization],
// [ParseBasic]), key kinds ([CheckPublicKey]) and the limits a key's
// authorized_keys options set ([Restrictions]) are here, so that both halves
// agree on them.
//
// Subpackages: verify (the server's checks, below), hosttrust (the client's
// known_hosts and certificate checks, §4.6) and servercert (self-signed and
// ACME certificates).
//
// This package imports no transport code.
package auth

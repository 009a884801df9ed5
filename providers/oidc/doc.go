// Package oidc is the generic OpenID Connect provider for ginoauth, and the
// toolkit the OpenID-based presets (google, azure, microsoft, linkedin,
// apple, okta, auth0, keycloak, authentiq) are built from.
//
// A blueprint for any OpenID provider is one call:
//
//	bp, err := oidc.New(ctx, oidc.Config{
//		Issuer: "https://id.example.com",
//		Config: ginoauth.Config{ClientID: "...", ClientSecret: "..."},
//	})
//
// New fetches the issuer's discovery document
// (/.well-known/openid-configuration) and builds a [ginoauth.Provider] from
// it: the authorization and token endpoints, the client authentication the
// server supports, the revocation endpoint (RFC 7009), the end-session
// endpoint for [ginoauth.Blueprint.EndSession], the issuer for the RFC 9207
// "iss" check (required when the document says
// authorization_response_iss_parameter_supported), the userinfo endpoint
// for [ginoauth.Blueprint.Profile], an ID token verifier and a logout token
// verifier. [FetchMetadata] returns the rest of the document (pushed
// authorization requests, introspection, supported methods) to the app.
//
// Every login then sends a fresh nonce, and the callback fails with
// [ginoauth.KindIDTokenInvalid] unless the ID token returned by the token
// endpoint has a valid signature from the issuer's keys (never alg none),
// the expected issuer, the client ID in its audience and as any "azp", a
// subject, an expiry in the future, an "iat" not in the future, and the
// nonce of this login. The verified claims are kept in the token's
// "id_token_claims" extra field. docs/oidc-conformance.md lists every case
// of the OpenID Foundation's relying party test plans and the test that
// shows this package passes it.
//
// # Client authentication
//
// The client authenticates at the token endpoint (code exchange and
// refresh) and the revocation endpoint as the discovery document allows
// (Provider.TokenEndpointAuthMethods): client_secret_basic (the default),
// client_secret_post, or, when those are not offered, client_secret_jwt
// made from the client secret. For private_key_jwt, set
// ginoauth.Config.ClientAssertion with package clientauth; building the
// blueprint fails with a clear error when the provider takes only
// private_key_jwt and no assertion is configured.
//
// # The ID token and its claims
//
// The verified claims are in the token's "id_token_claims" extra field
// ([IDTokenClaims]) in the Authorized and TokenRefreshed hooks. A cookie
// session store does not send the ID token with every request: the token
// keeps its subject, and the ID token has a cookie of its own that only
// the end-session route receives (see [ginoauth.SessionStorage]). Keep what
// the app needs of the claims in its session in the Authorized hook, or
// use a server-side store, which keeps the whole token.
//
// # Logout
//
// [ginoauth.Blueprint.EndSession] performs OpenID Connect RP-Initiated
// Logout through the end-session endpoint. Logout tokens posted to the
// blueprint's back-channel logout route (Back-Channel Logout 1.0) are
// verified like ID tokens, and must also carry the back-channel logout
// event, a "sub" or "sid", a "jti" not seen before by this process, and no
// nonce; then the storage drops that account's tokens
// ([ginoauth.SubjectLogout]) and Hooks.BackChannelLogout ends its sessions.
//
// # Userinfo
//
// The userinfo endpoint is read with the token in the Authorization header,
// or in a POST body with Config.UserInfoTokenInBody. Signed answers
// (application/jwt) are verified with the provider's keys. Aggregated and
// distributed claims (OpenID Connect Core section 5.6.2) signed by the
// provider, or by a claims provider of Config.ClaimsProviders, are merged
// into the profile's Raw claims; others are left as references.
//
// # When the network is used
//
// Construction never needs the provider to be reachable, with one explicit
// exception: [New] and [Discover] take a context because they fetch the
// discovery document, made with Config.HTTPClient and bounded by its Timeout (15 seconds
// when it has none). An application that must start while the
// provider is down, or that knows the endpoints already, uses
// [FromMetadata] instead, which does no I/O at all.
//
// The presets with well-known endpoints (Google, Azure, Microsoft,
// LinkedIn, Apple, Okta, Auth0, Keycloak) are built with FromMetadata, so
// their New functions never touch the network. The signing keys are
// fetched lazily: the first ID token to verify fetches the JSON Web Key Set
// through go-oidc's RemoteKeySet, which caches the keys and fetches them
// again only when a token names a key it has not seen (key rotation). That
// fetch uses Config.HTTPClient, with its Timeout as the time limit, and
// the callback waits for it no longer than its own exchange deadline. When
// a preset's key set URL is not published in a stable place (Authentiq),
// the verifier reads jwks_uri from the discovery document on first use,
// under the same time limit, and caches it; a failed attempt is retried by
// the next login.
//
// Lazy discovery for the whole provider (endpoints included) was not
// chosen: a blueprint needs its authorization and token URLs to start a
// login, so a provider that cannot be discovered would only fail later, at
// the first login, instead of at start-up where the error is visible.
//
// # Profiles
//
// [UserInfo] builds a [ginoauth.Provider.Profile] function that reads a userinfo
// endpoint, and [FromClaims] maps standard claims (sub, email,
// email_verified, name, preferred_username, picture) to a
// [ginoauth.Profile]. EmailVerified is true only when the provider says so
// (a JSON true, or the string "true" that some providers send). A userinfo
// answer whose sub differs from the ID token's is rejected, as OpenID
// Connect Core section 5.3.2 requires.
package oidc

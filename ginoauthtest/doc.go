// Package ginoauthtest is an in-process OAuth 2 and OpenID Connect provider
// for tests and local development, in the manner of net/http/httptest.
//
// [NewServer] starts a provider on a loopback port; [NewHandler] returns one
// to mount on an application's own router (the example app's "local dev
// provider"). Either way the server follows the specifications a real
// provider follows, so a client that works against it has been exercised for
// real:
//
//   - RFC 6749: the authorization code and refresh token grants, client
//     authentication by HTTP Basic or client_secret_post, error responses
//     with the specified codes and statuses, single-use codes that expire
//     after a minute, an error page rather than a redirect for an unknown
//     client or redirect URI;
//   - RFC 7636 (PKCE): S256 challenges, verified at the token endpoint;
//   - RFC 7009: token revocation;
//   - RFC 9207: the "iss" authorization response parameter ([Config.SendIssuer]);
//   - RFC 6750: Bearer tokens at the userinfo endpoint and the sample API;
//   - OpenID Connect Core and Discovery: RS256-signed ID tokens with nonce,
//     the userinfo endpoint, /.well-known/openid-configuration and /jwks,
//     and response_mode=form_post;
//   - OpenID Connect RP-Initiated Logout: the end-session endpoint, which
//     checks id_token_hint, client_id and the registered
//     post_logout_redirect_uri ([Config.PostLogoutRedirectURIs]).
//
// The endpoints, relative to the issuer URL [Server.URL]:
//
//	GET  /authorize                          authorization endpoint (user chooser page, or auto-approve)
//	POST /authorize                          the chooser's answer
//	POST /token                              token endpoint
//	POST /revoke                             revocation endpoint
//	GET  /userinfo                           OpenID Connect userinfo (needs the "openid" scope)
//	GET  /api/whoami                         a sample provider API: the user as JSON
//	GET  /.well-known/openid-configuration   discovery document
//	GET  /jwks                               the ID token signing key
//	GET  /end_session (or POST)              RP-Initiated Logout: back to post_logout_redirect_uri with the state
//
// [Server.Provider] describes the server as a ginoauth.Provider, so a
// blueprint under test is one call away:
//
//	srv := ginoauthtest.NewServer(ginoauthtest.Config{
//		AutoApprove:  "1001", // alice
//		RedirectURIs: []string{app.URL + "/login/test/authorized"},
//	})
//	defer srv.Close()
//	bp, err := ginoauth.New(srv.Provider(), ginoauth.Config{
//		ClientID:     srv.ClientID(),
//		ClientSecret: srv.ClientSecret(),
//	})
//
// Like a real provider, the server sends codes only to the client's
// registered redirect URIs (Config.RedirectURIs). A test whose app address
// is not known when the server starts may set InsecureAnyRedirectURI
// instead; an app that serves the server to browsers (a development
// provider, as the example app's) must register its callbacks.
//
// Tests steer the server with concurrency-safe controls: [Server.FailNext],
// [Server.FailNextWithHijack] and [Server.SetLatency] inject faults,
// [Server.ExpireAccessTokens], [Server.RevokeAll] and [Server.SetClock] move
// tokens through their life, and [Server.IssueToken] logs a user in without
// a browser. [Server.Requests], [Server.Count] and [Server.Grants] report
// what the server received.
//
// This package is for tests and local development only. Its users, client
// secret and signing key are public knowledge, and the recorded requests
// contain client secrets, codes and tokens.
package ginoauthtest

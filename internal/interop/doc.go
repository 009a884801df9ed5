// Package interop runs ginoauth against independent implementations from
// the Go ecosystem: OAuth 2 and OpenID Connect servers (go-oauth2/oauth2,
// zitadel/oidc) and an OAuth 1.0a consumer and verifier (mrjones/oauth),
// in a module of its own so that they are not requirements of the library
// module.
package interop

// Package interop runs ginoauth against independent OAuth 2 and OpenID
// Connect server implementations from the Go ecosystem (go-oauth2/oauth2
// and zitadel/oidc), in a module of its own so that they are not
// requirements of the library module.
package interop

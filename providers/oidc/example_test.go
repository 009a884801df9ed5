package oidc_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// ExampleNew discovers an OpenID provider at start-up. It needs the
// provider to be reachable, so it has no output here.
func ExampleNew() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bp, err := oidc.New(ctx, oidc.Config{
		Issuer: "https://id.example.com",
		// ClientID and ClientSecret default to OIDC_OAUTH_CLIENT_ID and
		// OIDC_OAUTH_CLIENT_SECRET.
		Config: ginoauth.Config{Name: "corp"}, // routes /login/corp, /login/corp/authorized
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // add the sessions middleware before serving
	bp.Register(r.Group("/login"))
}

// ExampleFromMetadata builds a provider from known endpoints, without any
// network access; the signing keys are fetched on the first login.
func ExampleFromMetadata() {
	p := oidc.FromMetadata(oidc.Metadata{
		Issuer:      "https://id.example.com",
		AuthURL:     "https://id.example.com/oauth2/authorize",
		TokenURL:    "https://id.example.com/oauth2/token",
		UserInfoURL: "https://id.example.com/oauth2/userinfo",
		JWKSURL:     "https://id.example.com/oauth2/keys",
	}, oidc.Config{Config: ginoauth.Config{ClientID: "client-id"}})
	bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "client-id", ClientSecret: "client-secret"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bp.Name(), p.Scopes, p.OpenID)
	// Output: oidc [openid profile email] true
}

// ExampleFetchMetadata reads the discovery document once: the blueprint
// is built from it, and the app keeps what a blueprint does not use itself
// (the pushed authorization request endpoint, the supported methods). It
// needs the provider to be reachable, so it has no output here.
func ExampleFetchMetadata() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := oidc.Config{Config: ginoauth.Config{ClientID: "client-id", ClientSecret: "client-secret"}}
	m, err := oidc.FetchMetadata(ctx, "https://id.example.com", cfg)
	if err != nil {
		log.Fatal(err)
	}
	bp, err := ginoauth.New(oidc.FromMetadata(m, cfg), cfg.Config)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bp.Name(), m.PARURL, m.TokenEndpointAuthMethods)
}

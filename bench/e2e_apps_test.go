package bench

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// The apps of the end-to-end benchmarks: an OpenID Connect login with the
// token kept in the cookie session, and GET /api, which calls the
// provider's userinfo endpoint with the user's token. Each serves in a
// process of its own, so its CPU time can be read apart from the browser's
// and the provider's.

const (
	e2eLoginPath    = "/login/oidc"
	e2eCallbackPath = "/login/oidc/authorized"
)

// e2eEngine is the Gin engine both apps start from, with the same cookie
// session as the other benchmarks.
func e2eEngine() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	store := cookie.NewStore(hashKey, blockKey)
	store.Options(cookieOptions)
	r.Use(sessions.Sessions(sessionName, store))
	return r
}

// e2eGinoauth is the ginoauth app: providers/oidc from the issuer's
// discovery document; the Authorized hook logs the user in by the ID
// token's subject.
func e2eGinoauth(ctx context.Context, issuer string) (http.Handler, error) {
	r := e2eEngine()
	bp, err := oidc.New(ctx, oidc.Config{
		Issuer: issuer,
		Config: ginoauth.Config{
			ClientID:     e2eClientID,
			ClientSecret: e2eSecret,
			Hooks: ginoauth.Hooks{
				Authorized: func(c *gin.Context, _ *ginoauth.Blueprint, t *ginoauth.Token) error {
					claims, _ := oidc.IDTokenClaims(t)
					sub, _ := claims["sub"].(string)
					if sub == "" {
						return errors.New("no subject")
					}
					sessions.Default(c).Set("uid", sub)
					c.Header("X-User", sub)
					return nil
				},
			},
		},
	})
	if err != nil {
		return nil, err
	}
	bp.Register(r.Group("/login"))
	r.GET(apiPath, func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		// Relative to the provider's API base URL, the issuer.
		status, body, err := readAll(client.Get("userinfo"))
		relay(c, status, body, err)
	})
	return r, nil
}

// e2eHandwritten is the same app written with golang.org/x/oauth2 and
// coreos/go-oidc: state, nonce and a PKCE verifier in the session, the
// code exchange, the ID token verified, the token as JSON in the session,
// refreshed through TokenSource when it expires.
func e2eHandwritten(ctx context.Context, issuer string) (http.Handler, error) {
	provider, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, err
	}
	var disc struct {
		UserInfo string `json:"userinfo_endpoint"`
	}
	if err := provider.Claims(&disc); err != nil {
		return nil, err
	}
	verifier := provider.Verifier(&gooidc.Config{ClientID: e2eClientID})
	config := func(c *gin.Context) *oauth2.Config {
		return &oauth2.Config{
			ClientID:     e2eClientID,
			ClientSecret: e2eSecret,
			Endpoint:     provider.Endpoint(),
			Scopes:       []string{gooidc.ScopeOpenID, "profile", "email"},
			RedirectURL:  "http://" + c.Request.Host + e2eCallbackPath,
		}
	}
	r := e2eEngine()
	r.GET(e2eLoginPath, func(c *gin.Context) {
		s := sessions.Default(c)
		state, nonce, pkce := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
		s.Set("oauth_state", state)
		s.Set("oauth_nonce", nonce)
		s.Set("oauth_verifier", pkce)
		if err := s.Save(); err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.Redirect(http.StatusFound, config(c).AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce)))
	})
	r.GET(e2eCallbackPath, func(c *gin.Context) {
		s := sessions.Default(c)
		state, _ := s.Get("oauth_state").(string)
		nonce, _ := s.Get("oauth_nonce").(string)
		pkce, _ := s.Get("oauth_verifier").(string)
		s.Delete("oauth_state")
		s.Delete("oauth_nonce")
		s.Delete("oauth_verifier")
		if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(c.Query("state"))) != 1 {
			_ = s.Save()
			c.Status(http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), 15*time.Second)
		defer cancel()
		tok, err := config(c).Exchange(ctx, c.Query("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			_ = s.Save()
			c.Status(http.StatusBadGateway)
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifier.Verify(ctx, raw)
		if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
			_ = s.Save()
			c.Status(http.StatusBadGateway)
			return
		}
		enc, err := json.Marshal(tok)
		if err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		s.Set("uid", idt.Subject)
		s.Set("token", string(enc))
		if err := s.Save(); err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.Header("X-User", idt.Subject)
		c.Redirect(http.StatusFound, "/")
	})
	r.GET(apiPath, func(c *gin.Context) {
		s := sessions.Default(c)
		raw, _ := s.Get("token").(string)
		var tok oauth2.Token
		if raw == "" || json.Unmarshal([]byte(raw), &tok) != nil || tok.AccessToken == "" {
			c.Status(http.StatusUnauthorized)
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), 15*time.Second)
		defer cancel()
		nt, err := config(c).TokenSource(ctx, &tok).Token()
		if err != nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		if nt.AccessToken != tok.AccessToken {
			enc, err := json.Marshal(nt)
			if err == nil {
				s.Set("token", string(enc))
				err = s.Save()
			}
			if err != nil {
				c.Status(http.StatusInternalServerError)
				return
			}
		}
		status, body, err := readAll(oauth2.NewClient(ctx, oauth2.StaticTokenSource(nt)).Get(disc.UserInfo))
		relay(c, status, body, err)
	})
	return r, nil
}

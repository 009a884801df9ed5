package ginoauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/gin-contrib/sessions"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// TestSecurityStateBoundToSession: a state is only good in the session
// that started the login (RFC 9700 section 4.7, CSRF). Session B cannot
// complete session A's login with A's callback, whether or not B has a
// login of its own in progress, and B's attempt does not spend A's state.
func TestSecurityStateBoundToSession(t *testing.T) {
	t.Parallel()
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	a := newSecApp(t, srv.Provider(), secConfig(srv), secEncryptedStore())
	victim, other := newSecBrowser(t), newSecBrowser(t)
	cbA := victim.approve(victim.start(a, "")).String()

	if p := other.get(cbA); p.status != http.StatusBadRequest {
		t.Fatalf("A's callback in a session with no login: got %d, want 400", p.status)
	}
	if e := a.nextErr(); e.Kind != ginoauth.KindStateMissing {
		t.Fatalf("A's callback in a session with no login: kind %s, want %s", e.Kind, ginoauth.KindStateMissing)
	}
	other.start(a, "")
	if p := other.get(cbA); p.status != http.StatusBadRequest {
		t.Fatalf("A's callback in B's session: got %d, want 400", p.status)
	}
	if e := a.nextErr(); e.Kind != ginoauth.KindStateMismatch {
		t.Fatalf("A's callback in B's session: kind %s, want %s", e.Kind, ginoauth.KindStateMismatch)
	}
	if other.stored(a) {
		t.Fatal("session B got a token from A's callback")
	}
	if p := victim.get(cbA); p.status != http.StatusFound {
		t.Fatalf("A's own callback after B's attempts: got %d, want 302", p.status)
	}
	a.noErr()
	if !victim.stored(a) {
		t.Fatal("A has no token after its own callback")
	}
}

// TestSecurityStateSingleUse: the first callback that presents a state
// consumes it, whatever the outcome (RFC 6749 section 10.12, RFC 9700
// section 4.7). With a cookie session store the browser's current cookie
// no longer holds it; with a server-side store (Redis) even the session ID
// from before the login, which the session renewal retired, cannot
// present it again.
func TestSecurityStateSingleUse(t *testing.T) {
	t.Parallel()
	stores := []struct {
		name  string
		store func(t *testing.T) sessions.Store
	}{
		{"encrypted cookie store", func(*testing.T) sessions.Store { return secEncryptedStore() }},
		{"redis store", secRedisStore},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			store := st.store(t)
			srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
			a := newSecApp(t, srv.Provider(), secConfig(srv), store)
			b := newSecBrowser(t)
			cb := b.approve(b.start(a, "")).String()
			before := b.appCookies(a)
			if p := b.get(cb); p.status != http.StatusFound {
				t.Fatalf("first callback: got %d, want 302", p.status)
			}
			if p := b.get(cb); p.status != http.StatusBadRequest {
				t.Fatalf("replayed callback: got %d, want 400", p.status)
			}
			if e := a.nextErr(); e.Kind != ginoauth.KindStateMissing {
				t.Fatalf("replayed callback: kind %s, want %s", e.Kind, ginoauth.KindStateMissing)
			}
			if st.name != "redis store" {
				return
			}
			// The retired session ID, as an attacker who planted or copied
			// it before the login would present it.
			b.setAppCookies(a, before)
			grantsBefore := srv.Grants("authorization_code")
			if p := b.get(cb); p.status != http.StatusBadRequest {
				t.Fatalf("callback replayed with the pre-login session ID: got %d, want 400", p.status)
			}
			if e := a.nextErr(); e.Kind != ginoauth.KindStateMissing {
				t.Fatalf("callback replayed with the pre-login session ID: kind %s, want %s (the code went to the provider again: %v)",
					e.Kind, ginoauth.KindStateMissing, srv.Grants("authorization_code") > grantsBefore)
			}
		})
	}
}

// TestSecurityPKCEDowngrade: every login sends a fresh S256 challenge
// (RFC 9700 section 2.1.1), and a code cannot be moved into a login whose
// PKCE setting differs (section 4.8.2): a code issued without a challenge,
// injected into a session whose login used PKCE, is refused at the
// exchange because the app sends its verifier; a code issued for a
// challenge is refused when exchanged without the verifier.
func TestSecurityPKCEDowngrade(t *testing.T) {
	t.Parallel()
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	a := newSecApp(t, srv.Provider(), secConfig(srv), secEncryptedStore())

	t.Run("login always sends S256", func(t *testing.T) {
		b := newSecBrowser(t)
		seen := map[string]bool{}
		for range 5 {
			q := b.start(a, "").Query()
			ch := q.Get("code_challenge")
			if q.Get("code_challenge_method") != "S256" || len(ch) != 43 {
				t.Fatalf("code_challenge_method %q, challenge length %d; want S256 and 43", q.Get("code_challenge_method"), len(ch))
			}
			if seen[ch] {
				t.Fatal("a code challenge was reused")
			}
			seen[ch] = true
		}
	})

	t.Run("code without challenge into a PKCE login", func(t *testing.T) {
		b := newSecBrowser(t)
		// The attacker's own authorization request, without PKCE, for the
		// app's client and callback.
		attack := url.Values{"client_id": {srv.ClientID()}, "response_type": {"code"},
			"redirect_uri": {a.ts.URL + "/login/test/authorized"}, "state": {"attacker"}}
		injected := newSecBrowser(t).approve(mustURL(t, srv.URL+ginoauthtest.PathAuthorize+"?"+attack.Encode())).Query().Get("code")
		if injected == "" {
			t.Fatal("setup: no code for the attacker")
		}
		cb := b.approve(b.start(a, ""))
		if p := b.get(withCallbackParam(cb, "code", injected)); p.status != http.StatusBadGateway {
			t.Fatalf("injected code: got %d, want 502", p.status)
		}
		if e := a.nextErr(); e.Kind != ginoauth.KindExchangeFailed || e.Code != "invalid_grant" {
			t.Fatalf("injected code: kind %s code %q, want %s invalid_grant", e.Kind, e.Code, ginoauth.KindExchangeFailed)
		}
		if !secExchangeSentVerifier(srv, injected) {
			t.Fatal("the exchange of the injected code did not send the login's code_verifier")
		}
		if b.stored(a) {
			t.Fatal("a token was stored from the injected code")
		}
	})

	t.Run("code with challenge exchanged without verifier", func(t *testing.T) {
		prov := srv.Provider()
		prov.DisablePKCE = true
		noPKCE := newSecApp(t, prov, secConfig(srv), secEncryptedStore())
		// A code bound to a challenge, from a PKCE login.
		code := newSecBrowser(t).approve(newSecBrowser(t).start(a, "")).Query().Get("code")
		b := newSecBrowser(t)
		cb := b.approve(b.start(noPKCE, ""))
		if cb.Query().Get("code_challenge") != "" {
			t.Fatal("setup: the login without PKCE sent a challenge")
		}
		if p := b.get(withCallbackParam(cb, "code", code)); p.status != http.StatusBadGateway {
			t.Fatalf("code without verifier: got %d, want 502", p.status)
		}
		if e := noPKCE.nextErr(); e.Kind != ginoauth.KindExchangeFailed || e.Code != "invalid_grant" {
			t.Fatalf("code without verifier: kind %s code %q, want %s invalid_grant", e.Kind, e.Code, ginoauth.KindExchangeFailed)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// secExchangeSentVerifier reports whether the exchange of code carried a
// code_verifier.
func secExchangeSentVerifier(srv *ginoauthtest.Server, code string) bool {
	for _, r := range srv.Requests() {
		if r.Path == ginoauthtest.PathToken && r.Form.Get("code") == code {
			return r.Form.Get("code_verifier") != ""
		}
	}
	return false
}

// TestSecurityMixUp: the RFC 9207 "iss" parameter is checked when the
// provider sends it, and required when the provider advertises it, which
// defeats mix-up attacks (RFC 9700 section 4.4). Discovery through
// providers/oidc turns the requirement on by itself.
func TestSecurityMixUp(t *testing.T) {
	t.Parallel()
	advertising := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, SendIssuer: true})
	silent := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	discovered, err := oidc.Discover(context.Background(), advertising.URL, oidc.Config{Config: secConfig(advertising)})
	if err != nil {
		t.Fatalf("oidc.Discover: %v", err)
	}
	if !discovered.RequireIssuerParam || discovered.Issuer != advertising.URL {
		t.Fatalf("discovered provider: RequireIssuerParam %v, Issuer %q; want true, %q", discovered.RequireIssuerParam, discovered.Issuer, advertising.URL)
	}
	tests := []struct {
		name     string
		srv      *ginoauthtest.Server
		provider ginoauth.Provider
		iss      string // "" removes it; "keep" leaves the provider's
		wantKind ginoauth.ErrorKind
	}{
		{"advertised, sent and right", advertising, advertising.Provider(), "keep", ""},
		{"advertised, missing", advertising, advertising.Provider(), "", ginoauth.KindIssuerMismatch},
		{"advertised, another server's", advertising, advertising.Provider(), "https://attacker.example", ginoauth.KindIssuerMismatch},
		{"discovered, missing", advertising, discovered, "", ginoauth.KindIssuerMismatch},
		{"discovered, another server's", advertising, discovered, silent.URL, ginoauth.KindIssuerMismatch},
		{"not advertised, missing", silent, silent.Provider(), "", ""},
		{"not advertised, sent and wrong", silent, silent.Provider(), advertising.URL, ginoauth.KindIssuerMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prov := tt.provider
			prov.DisablePKCE = prov.OpenID // not what is tested here
			a := newSecApp(t, prov, secConfig(tt.srv), secEncryptedStore())
			b := newSecBrowser(t)
			cb := b.approve(b.start(a, ""))
			target := cb.String()
			if tt.iss != "keep" {
				target = withCallbackParam(cb, "iss", tt.iss)
			}
			p := b.get(target)
			if tt.wantKind == "" {
				if p.status != http.StatusFound {
					t.Fatalf("got %d, want 302", p.status)
				}
				a.noErr()
				return
			}
			if p.status != http.StatusBadRequest {
				t.Fatalf("got %d, want 400", p.status)
			}
			if e := a.nextErr(); e.Kind != tt.wantKind {
				t.Fatalf("kind %s, want %s", e.Kind, tt.wantKind)
			}
			if b.stored(a) {
				t.Fatal("a token was stored")
			}
		})
	}
}

// TestSecurityOIDCNonceAndAudience: through providers/oidc and the test
// provider's discovery, an ID token is accepted only with this login's
// nonce and this client in its audience (OpenID Connect Core 3.1.3.7,
// RFC 9700 section 4.5.3). PKCE is off here so that the nonce is the only
// thing that ties an injected code to the login.
func TestSecurityOIDCNonceAndAudience(t *testing.T) {
	t.Parallel()
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	ctx := context.Background()
	cfg := secConfig(srv)

	t.Run("right nonce and audience", func(t *testing.T) {
		t.Parallel()
		p, err := oidc.Discover(ctx, srv.URL, oidc.Config{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		p.DisablePKCE = true // the nonce alone binds the code here
		a := newSecApp(t, p, cfg, secEncryptedStore())
		b := newSecBrowser(t)
		authURL := b.start(a, "")
		if authURL.Query().Get("nonce") == "" {
			t.Fatal("the login sent no nonce")
		}
		if pg := b.get(b.approve(authURL).String()); pg.status != http.StatusFound {
			t.Fatalf("login: got %d, want 302", pg.status)
		}
		a.noErr()
	})

	t.Run("code from another login (nonce replay)", func(t *testing.T) {
		t.Parallel()
		p, err := oidc.Discover(ctx, srv.URL, oidc.Config{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		p.DisablePKCE = true // the nonce alone binds the code here
		a := newSecApp(t, p, cfg, secEncryptedStore())
		attacker, victim := newSecBrowser(t), newSecBrowser(t)
		stolen := attacker.approve(attacker.start(a, "")).Query().Get("code")
		cb := victim.approve(victim.start(a, ""))
		if pg := victim.get(withCallbackParam(cb, "code", stolen)); pg.status != http.StatusBadGateway {
			t.Fatalf("injected code: got %d, want 502", pg.status)
		}
		e := a.nextErr()
		if e.Kind != ginoauth.KindIDTokenInvalid || !errors.Is(e, oidc.ErrNonceMismatch) {
			t.Fatalf("injected code: got %v, want %s matching oidc.ErrNonceMismatch", e, ginoauth.KindIDTokenInvalid)
		}
		if victim.stored(a) {
			t.Fatal("a token was stored from another login's code")
		}
	})

	t.Run("ID token for another client", func(t *testing.T) {
		t.Parallel()
		other := cfg
		other.ClientID = "another-client"
		p, err := oidc.Discover(ctx, srv.URL, oidc.Config{Config: other})
		if err != nil {
			t.Fatal(err)
		}
		p.DisablePKCE = true                           // the nonce alone binds the code here
		a := newSecApp(t, p, cfg, secEncryptedStore()) // the verifier expects another audience
		b := newSecBrowser(t)
		if pg := b.login(a, ""); pg.status != http.StatusBadGateway {
			t.Fatalf("login: got %d, want 502", pg.status)
		}
		if e := a.nextErr(); e.Kind != ginoauth.KindIDTokenInvalid {
			t.Fatalf("kind %s, want %s", e.Kind, ginoauth.KindIDTokenInvalid)
		}
		if b.stored(a) {
			t.Fatal("a token was stored")
		}
	})
}

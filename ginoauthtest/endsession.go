package ginoauthtest

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// handleEndSession is the OpenID Connect RP-Initiated Logout 1.0 endpoint
// (GET or POST). An id_token_hint must be an ID token this server signed
// for the client (an expired one is fine, section 2); a client_id must be
// the client's; a post_logout_redirect_uri needs one of them and must be
// registered (Config.PostLogoutRedirectURIs, or any absolute URL with
// InsecureAnyRedirectURI). The browser goes back there with the state, or
// sees a "signed out" page.
func (s *Server) handleEndSession(w http.ResponseWriter, r *http.Request, formErr error) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if formErr != nil {
		s.errorPage(w, http.StatusBadRequest, "The logout request is malformed.")
		return
	}
	hint, client := r.Form.Get("id_token_hint"), r.Form.Get("client_id")
	if client != "" && client != s.cfg.ClientID {
		s.errorPage(w, http.StatusBadRequest, "The client_id is unknown.")
		return
	}
	if hint != "" && !s.ownIDToken(hint) {
		s.errorPage(w, http.StatusBadRequest, "The id_token_hint is not an ID token this provider issued to the client.")
		return
	}
	back := r.Form.Get("post_logout_redirect_uri")
	if back == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>Signed out</title><p>You are signed out.</p>"))
		return
	}
	switch {
	case hint == "" && client == "":
		s.errorPage(w, http.StatusBadRequest, "A post_logout_redirect_uri needs a client_id or an id_token_hint.")
		return
	case !validRedirectURI(back):
		s.errorPage(w, http.StatusBadRequest, "The post_logout_redirect_uri is not an absolute http or https URL without a fragment.")
		return
	case !s.cfg.InsecureAnyRedirectURI && !slices.Contains(s.cfg.PostLogoutRedirectURIs, back):
		s.errorPage(w, http.StatusBadRequest, "The post_logout_redirect_uri is not registered for this client.")
		return
	}
	u, _ := url.Parse(back) // validRedirectURI parsed it
	if st := r.Form.Get("state"); st != "" {
		q := u.Query()
		q.Set("state", st)
		u.RawQuery = q.Encode()
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// ownIDToken reports whether raw is an ID token signed with the server's
// key, by this issuer, for the client.
func (s *Server) ownIDToken(raw string) bool {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return false
	}
	var c jwt.Claims
	if err := tok.Claims(s.key.Public().Key, &c); err != nil {
		return false
	}
	return c.Issuer == s.URL && c.Audience.Contains(s.cfg.ClientID)
}

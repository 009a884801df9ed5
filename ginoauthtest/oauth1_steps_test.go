package ginoauthtest

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// o1Approved gets a request token approved by user (none when user is ""),
// returning the
// token, its secret and the verifier.
func o1Approved(t *testing.T, srv *OAuth1Server, user string) (token, secret, verifier string) {
	t.Helper()
	req := o1Signed{method: http.MethodPost, url: srv.URL + OAuth1PathRequestToken,
		oauth:          o1Defaults(srv, "oauth_callback", "http://127.0.0.1:9/cb"),
		consumerSecret: srv.ConsumerSecret()}.request(t)
	status, v := o1Do(t, o1NoFollow, req)
	if status != http.StatusOK || v.Get("oauth_callback_confirmed") != "true" {
		t.Fatalf("request token: got %d %v, want 200 with oauth_callback_confirmed=true", status, v)
	}
	token, secret = v.Get("oauth_token"), v.Get("oauth_token_secret")
	if user == "" {
		return token, secret, ""
	}
	resp, err := o1NoFollow.PostForm(srv.URL+OAuth1PathAuthorize, url.Values{"oauth_token": {token}, "user": {user}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("oauth_verifier") == "" {
		t.Fatalf("authorize: got %d %q, want 302 with a verifier", resp.StatusCode, resp.Header.Get("Location"))
	}
	return token, secret, loc.Query().Get("oauth_verifier")
}

func TestOAuth1ServerRejects(t *testing.T) {
	t.Parallel()
	srv := NewOAuth1Server(OAuth1Config{})
	defer srv.Close()
	at, as, err := srv.IssueToken("1001")
	if err != nil {
		t.Fatal(err)
	}
	flip := func(sig string) string {
		b, _ := base64.StdEncoding.DecodeString(sig)
		b[0] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	rtURL, apiURL := srv.URL+OAuth1PathRequestToken, srv.URL+OAuth1PathEcho+"?x=1"
	cs := srv.ConsumerSecret()
	stale := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	for _, tt := range []struct {
		name    string
		req     o1Signed
		status  int
		problem string
	}{
		{"valid request token", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob"), consumerSecret: cs}, 200, ""},
		{"valid params in body", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob"), consumerSecret: cs, inBody: true, form: url.Values{"x": {"y"}}}, 200, ""},
		{"tampered signature", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob"), consumerSecret: cs, tamper: flip}, 401, "signature_invalid"},
		{"wrong consumer secret", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob"), consumerSecret: "guess"}, 401, "signature_invalid"},
		{"unknown consumer", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob", "oauth_consumer_key", "other"), consumerSecret: cs}, 401, "consumer_key_unknown"},
		{"plaintext method", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob", "oauth_signature_method", "PLAINTEXT"), consumerSecret: cs}, 400, "signature_method_rejected"},
		{"version 2", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob", "oauth_version", "2.0"), consumerSecret: cs}, 400, "version_rejected"},
		{"stale timestamp", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob", "oauth_timestamp", stale), consumerSecret: cs}, 401, "timestamp_refused"},
		{"no nonce", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob", "oauth_nonce", ""), consumerSecret: cs}, 400, "parameter_absent"},
		{"no callback", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv), consumerSecret: cs}, 400, "parameter_absent"},
		{"relative callback", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "/cb"), consumerSecret: cs}, 400, "parameter_rejected"},
		{"token at request-token step", o1Signed{method: "POST", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob", "oauth_token", at), consumerSecret: cs, tokenSecret: as}, 401, "token_rejected"},
		{"GET request token", o1Signed{method: "GET", url: rtURL, oauth: o1Defaults(srv, "oauth_callback", "oob"), consumerSecret: cs}, 405, ""},
		{"valid API call", o1Signed{method: "GET", url: apiURL, oauth: o1Defaults(srv, "oauth_token", at), consumerSecret: cs, tokenSecret: as}, 200, ""},
		{"API without token secret", o1Signed{method: "GET", url: apiURL, oauth: o1Defaults(srv, "oauth_token", at), consumerSecret: cs}, 401, "signature_invalid"},
		{"API unknown token", o1Signed{method: "GET", url: apiURL, oauth: o1Defaults(srv, "oauth_token", "nope"), consumerSecret: cs, tokenSecret: as}, 401, "token_rejected"},
		{"API no token", o1Signed{method: "GET", url: apiURL, oauth: o1Defaults(srv), consumerSecret: cs}, 400, "parameter_absent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, v := o1Do(t, o1NoFollow, tt.req.request(t))
			if status != tt.status || v.Get("oauth_problem") != tt.problem {
				t.Errorf("got %d %q, want %d %q", status, v.Get("oauth_problem"), tt.status, tt.problem)
			}
		})
	}

	t.Run("replayed nonce", func(t *testing.T) {
		s := o1Signed{method: "GET", url: apiURL, oauth: o1Defaults(srv, "oauth_token", at), consumerSecret: cs, tokenSecret: as}
		first, second := s.request(t), s.request(t)
		if status, _ := o1Do(t, o1NoFollow, first); status != 200 {
			t.Fatalf("first: got %d, want 200", status)
		}
		if status, v := o1Do(t, o1NoFollow, second); status != 401 || v.Get("oauth_problem") != "nonce_used" {
			t.Errorf("replay: got %d %v, want 401 nonce_used", status, v)
		}
	})
	t.Run("body changed after signing", func(t *testing.T) {
		req := o1Signed{method: "POST", url: apiURL, form: url.Values{"amount": {"10"}}, oauth: o1Defaults(srv, "oauth_token", at), consumerSecret: cs, tokenSecret: as}.request(t)
		req.Body = io.NopCloser(strings.NewReader("amount=1000"))
		req.ContentLength = int64(len("amount=1000"))
		if status, v := o1Do(t, o1NoFollow, req); status != 401 || v.Get("oauth_problem") != "signature_invalid" {
			t.Errorf("got %d %v, want 401 signature_invalid", status, v)
		}
	})
	t.Run("query changed after signing", func(t *testing.T) {
		req := o1Signed{method: "GET", url: apiURL, oauth: o1Defaults(srv, "oauth_token", at), consumerSecret: cs, tokenSecret: as}.request(t)
		req.URL.RawQuery = "x=2"
		if status, v := o1Do(t, o1NoFollow, req); status != 401 || v.Get("oauth_problem") != "signature_invalid" {
			t.Errorf("got %d %v, want 401 signature_invalid", status, v)
		}
	})
}

func TestOAuth1ServerAccessTokenStep(t *testing.T) {
	t.Parallel()
	srv := NewOAuth1Server(OAuth1Config{})
	defer srv.Close()
	cs := srv.ConsumerSecret()
	exchange := func(token, secret, verifier string) (int, url.Values) {
		return o1Do(t, o1NoFollow, o1Signed{method: "POST", url: srv.URL + OAuth1PathAccessToken,
			oauth: o1Defaults(srv, "oauth_token", token, "oauth_verifier", verifier), consumerSecret: cs, tokenSecret: secret}.request(t))
	}

	t.Run("success, then reuse", func(t *testing.T) {
		token, secret, verifier := o1Approved(t, srv, "1003")
		status, v := exchange(token, secret, verifier)
		if status != 200 || v.Get("oauth_token") == "" || v.Get("oauth_token_secret") == "" || v.Get("user_id") != "1003" || v.Get("screen_name") != "carol" {
			t.Fatalf("got %d %v, want 200 with token, secret, user_id 1003, screen_name carol", status, v)
		}
		if !srv.TokenValid(v.Get("oauth_token")) {
			t.Error("issued token is not valid")
		}
		if status, v := exchange(token, secret, verifier); status != 401 || v.Get("oauth_problem") != "token_rejected" {
			t.Errorf("reuse: got %d %v, want 401 token_rejected", status, v)
		}
	})
	t.Run("signed without the request-token secret", func(t *testing.T) {
		token, secret, verifier := o1Approved(t, srv, "1001")
		if status, v := exchange(token, "", verifier); status != 401 || v.Get("oauth_problem") != "signature_invalid" {
			t.Errorf("got %d %v, want 401 signature_invalid", status, v)
		}
		// A forged request does not spend the token.
		if status, _ := exchange(token, secret, verifier); status != 200 {
			t.Errorf("then correctly signed: got %d, want 200", status)
		}
	})
	t.Run("wrong verifier spends the token", func(t *testing.T) {
		token, secret, verifier := o1Approved(t, srv, "1001")
		if status, v := exchange(token, secret, verifier+"x"); status != 401 || v.Get("oauth_problem") != "verifier_invalid" {
			t.Errorf("got %d %v, want 401 verifier_invalid", status, v)
		}
		if status, v := exchange(token, secret, verifier); status != 401 || v.Get("oauth_problem") != "token_rejected" {
			t.Errorf("then right verifier: got %d %v, want 401 token_rejected", status, v)
		}
	})
	t.Run("not yet approved", func(t *testing.T) {
		token, secret, _ := o1Approved(t, srv, "")
		if status, v := exchange(token, secret, "anything"); status != 401 || v.Get("oauth_problem") != "permission_unknown" {
			t.Errorf("got %d %v, want 401 permission_unknown", status, v)
		}
	})
	t.Run("expired request token", func(t *testing.T) {
		token, secret, verifier := o1Approved(t, srv, "1001")
		later := time.Now().Add(o1RequestTokenTTL + time.Minute)
		srv.SetClock(func() time.Time { return later })
		defer srv.SetClock(nil)
		ts := strconv.FormatInt(later.Unix(), 10)
		status, v := o1Do(t, o1NoFollow, o1Signed{method: "POST", url: srv.URL + OAuth1PathAccessToken,
			oauth:          o1Defaults(srv, "oauth_token", token, "oauth_verifier", verifier, "oauth_timestamp", ts),
			consumerSecret: cs, tokenSecret: secret}.request(t))
		if status != 401 || v.Get("oauth_problem") != "token_rejected" {
			t.Errorf("got %d %v, want 401 token_rejected", status, v)
		}
	})
}

func TestOAuth1ServerAuthorizePage(t *testing.T) {
	t.Parallel()
	srv := NewOAuth1Server(OAuth1Config{})
	defer srv.Close()
	for _, tt := range []struct {
		name, path string
		answer     url.Values
		want       func(q url.Values, token string) bool
	}{
		{"approve", OAuth1PathAuthorize, url.Values{"user": {"1001"}}, func(q url.Values, token string) bool {
			return q.Get("oauth_token") == token && q.Get("oauth_verifier") != "" && q.Get("denied") == ""
		}},
		{"deny, X style", OAuth1PathAuthorize, url.Values{"deny": {"1"}}, func(q url.Values, token string) bool {
			return q.Get("denied") == token && q.Get("oauth_token") == "" && q.Get("oauth_verifier") == ""
		}},
		{"deny, Jira style", JiraPathAuthorize, url.Values{"deny": {"1"}}, func(q url.Values, token string) bool {
			return q.Get("oauth_token") == token && q.Get("oauth_verifier") == "denied"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			token, _, _ := o1Approved(t, srv, "")
			resp, err := http.Get(srv.URL + tt.path + "?oauth_token=" + url.QueryEscape(token))
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(page), `value="1001"`) || !strings.Contains(string(page), `name="deny"`) {
				t.Fatalf("page: got %d, want 200 with the user chooser and a deny button", resp.StatusCode)
			}
			tt.answer.Set("oauth_token", token)
			resp, err = o1NoFollow.PostForm(srv.URL+tt.path, tt.answer)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc, err := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || err != nil || !tt.want(loc.Query(), token) {
				t.Errorf("answer: got %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			// The request token cannot be authorized twice.
			resp, err = o1NoFollow.PostForm(srv.URL+tt.path, tt.answer)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("second answer: got %d, want 400", resp.StatusCode)
			}
		})
	}
	t.Run("unknown token", func(t *testing.T) {
		resp, err := http.Get(srv.URL + OAuth1PathAuthorize + "?oauth_token=forged")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("got %d, want 400", resp.StatusCode)
		}
	})
}

func TestOAuth1ServerInvalidateAndFaults(t *testing.T) {
	t.Parallel()
	srv := NewOAuth1Server(OAuth1Config{})
	defer srv.Close()
	at, as, _ := srv.IssueToken("1001")
	cs := srv.ConsumerSecret()
	call := func(method, u string) (int, url.Values) {
		return o1Do(t, o1NoFollow, o1Signed{method: method, url: u, oauth: o1Defaults(srv, "oauth_token", at), consumerSecret: cs, tokenSecret: as}.request(t))
	}
	if status, _ := call("GET", srv.URL+OAuth1PathInvalidate); status != http.StatusMethodNotAllowed {
		t.Errorf("GET invalidate: got %d, want 405", status)
	}
	if status, _ := call("POST", srv.URL+OAuth1PathInvalidate); status != 200 {
		t.Fatalf("invalidate: got %d, want 200", status)
	}
	if srv.TokenValid(at) {
		t.Error("token still valid after invalidate")
	}
	if status, v := call("GET", srv.URL+OAuth1PathWhoami); status != 401 || v.Get("oauth_problem") != "token_rejected" {
		t.Errorf("after invalidate: got %d %v, want 401 token_rejected", status, v)
	}
	srv.FailNext(OAuth1PathRequestToken, http.StatusServiceUnavailable, "oauth_problem=temporarily_unavailable")
	req := o1Signed{method: "POST", url: srv.URL + OAuth1PathRequestToken, oauth: o1Defaults(srv, "oauth_callback", "oob"), consumerSecret: cs}
	if status, v := o1Do(t, o1NoFollow, req.request(t)); status != 503 || v.Get("oauth_problem") != "temporarily_unavailable" {
		t.Errorf("injected: got %d %v, want 503 temporarily_unavailable", status, v)
	}
	if status, _ := o1Do(t, o1NoFollow, req.request(t)); status != 200 {
		t.Errorf("after the fault: got %d, want 200", status)
	}
	if got := srv.Count(OAuth1PathRequestToken); got != 2 {
		t.Errorf("Count: got %d, want 2", got)
	}
}

// TestOAuth1ServerClientAnyHost shows Client: a request for a fixed
// https host reaches the TLS server, which verifies the signature over the
// URL as the consumer addressed it.
func TestOAuth1ServerClientAnyHost(t *testing.T) {
	t.Parallel()
	srv := NewOAuth1Server(OAuth1Config{TLS: true})
	defer srv.Close()
	req := o1Signed{method: "POST", url: "https://api.twitter.com" + OAuth1PathRequestToken,
		oauth: o1Defaults(srv, "oauth_callback", "oob"), consumerSecret: srv.ConsumerSecret()}.request(t)
	status, v := o1Do(t, srv.Client(), req)
	if status != 200 || v.Get("oauth_token") == "" {
		t.Fatalf("got %d %v, want 200 with a request token", status, v)
	}
	recs := srv.Requests()
	if got, want := recs[len(recs)-1].URL, "https://api.twitter.com"+OAuth1PathRequestToken; got != want {
		t.Errorf("recorded URL: got %q, want %q", got, want)
	}
	// Signed for another host, the same request fails.
	req = o1Signed{method: "POST", url: "https://api.example.org" + OAuth1PathRequestToken,
		oauth: o1Defaults(srv, "oauth_callback", "oob"), consumerSecret: srv.ConsumerSecret()}.request(t)
	req.Host = "api.twitter.com"
	if status, v := o1Do(t, srv.Client(), req); status != 401 || v.Get("oauth_problem") != "signature_invalid" {
		t.Errorf("signed for another host: got %d %v, want 401 signature_invalid", status, v)
	}
}

func TestNewOAuth1ServerPanics(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  OAuth1Config
	}{
		{"RSA without key", OAuth1Config{SignatureMethod: "RSA-SHA1"}},
		{"unknown method", OAuth1Config{SignatureMethod: "PLAINTEXT"}},
		{"unknown auto-approve user", OAuth1Config{AutoApprove: "nobody"}},
		{"duplicate users", OAuth1Config{Users: []User{{ID: "1"}, {ID: "1"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			NewOAuth1Server(tt.cfg).Close()
		})
	}
}

package ginoauthtest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mrjones "github.com/mrjones/oauth"
)

var o1TestKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

func o1Key(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := o1TestKey()
	if err != nil {
		t.Fatalf("generate RSA key: %v", err)
	}
	return k
}

var o1NoFollow = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// TestO1SignatureBaseRFC5849 checks the base string of the example in RFC
// 5849 sections 3.4.1.1 to 3.4.1.3.2.
func TestO1SignatureBaseRFC5849(t *testing.T) {
	t.Parallel()
	req, err := http.NewRequest(http.MethodPost, "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", strings.NewReader("c2&a3=2+q"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", `OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"`)
	oauth, all, err := o1Collect(req, []byte("c2&a3=2+q"))
	if err != nil {
		t.Fatalf("o1Collect: %v", err)
	}
	if got, want := oauth["oauth_signature"], "bYT5CMsGcbgUdFHObYMEfcx6bsw="; got != want {
		t.Errorf("oauth_signature: got %q, want %q", got, want)
	}
	if _, ok := oauth["realm"]; ok {
		t.Error("realm was taken as a protocol parameter")
	}
	normalized := "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2" +
		"&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7"
	want := "POST&http%3A%2F%2Fexample.com%2Frequest&" + o1PercentEncode(normalized)
	if got := o1SignatureBase(req.Method, o1BaseURI(req), all); got != want {
		t.Errorf("base string:\ngot  %s\nwant %s", got, want)
	}
}

func TestO1BaseURI(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, host string
		tls        bool
		want       string
	}{
		{"default http port dropped", "EXAMPLE.com:80", false, "http://example.com/r%20b"},
		{"default https port dropped", "example.com:443", true, "https://example.com/r%20b"},
		{"other port kept", "example.com:8080", false, "http://example.com:8080/r%20b"},
		{"443 over http kept", "example.com:443", false, "http://example.com:443/r%20b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://x/r%20b?q=1", nil)
			r.Host = tt.host
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := o1BaseURI(r); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// o1Consumer is an independent OAuth 1 consumer (github.com/mrjones/oauth)
// for srv.
func o1Consumer(t *testing.T, srv *OAuth1Server, rsaKey *rsa.PrivateKey) *mrjones.Consumer {
	sp := mrjones.ServiceProvider{
		RequestTokenUrl:   srv.URL + OAuth1PathRequestToken,
		AuthorizeTokenUrl: srv.URL + OAuth1PathAuthorize,
		AccessTokenUrl:    srv.URL + OAuth1PathAccessToken,
		HttpMethod:        http.MethodPost,
	}
	if rsaKey != nil {
		return mrjones.NewRSAConsumer(srv.ConsumerKey(), rsaKey, sp)
	}
	return mrjones.NewConsumer(srv.ConsumerKey(), srv.ConsumerSecret(), sp)
}

// o1IndependentVerifier is github.com/mrjones/oauth's request verifier for
// srv's consumer. Its HMAC-SHA1 check has no token secret, so it verifies
// HMAC-SHA1 requests signed with the consumer secret alone, and every
// RSA-SHA1 request.
func o1IndependentVerifier(srv *OAuth1Server, rsaKey *rsa.PrivateKey) *mrjones.Provider {
	return mrjones.NewProvider(func(key string, _ map[string]string) (*mrjones.Consumer, error) {
		if rsaKey != nil {
			return mrjones.NewRSAConsumer(key, rsaKey, mrjones.ServiceProvider{}), nil
		}
		return mrjones.NewConsumer(key, srv.ConsumerSecret(), mrjones.ServiceProvider{}), nil
	})
}

// o1Replay rebuilds a recorded request for another verifier.
func o1Replay(t *testing.T, r OAuth1Request) *http.Request {
	t.Helper()
	req, err := http.NewRequest(r.Method, r.URL, strings.NewReader(string(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header.Clone()
	return req
}

// TestOAuth1ServerAgreesWithIndependentImplementation runs the three legs
// with github.com/mrjones/oauth as the consumer, for both signature
// methods: the server accepts an independent signer's requests, with token
// secrets, and the independent verifier accepts what the server accepted.
func TestOAuth1ServerAgreesWithIndependentImplementation(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"HMAC-SHA1", "RSA-SHA1"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			cfg := OAuth1Config{AutoApprove: "1002", SignatureMethod: method}
			var key *rsa.PrivateKey
			if method == "RSA-SHA1" {
				key = o1Key(t)
				cfg.RSAPublicKey = &key.PublicKey
			}
			srv := NewOAuth1Server(cfg)
			defer srv.Close()
			consumer := o1Consumer(t, srv, key)

			rtok, loginURL, err := consumer.GetRequestTokenAndUrl("http://127.0.0.1:9/cb?keep=1")
			if err != nil {
				t.Fatalf("request token: %v", err)
			}
			resp, err := o1NoFollow.Get(loginURL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cb, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || resp.StatusCode != http.StatusFound {
				t.Fatalf("authorize: got %d %q, want 302 to the callback", resp.StatusCode, resp.Header.Get("Location"))
			}
			if got := cb.Query().Get("keep"); got != "1" {
				t.Errorf("callback query keep: got %q, want 1", got)
			}
			if got := cb.Query().Get("oauth_token"); got != rtok.Token {
				t.Errorf("callback oauth_token: got %q, want the request token", got)
			}
			atok, err := consumer.AuthorizeToken(rtok, cb.Query().Get("oauth_verifier"))
			if err != nil {
				t.Fatalf("access token: %v", err)
			}
			if got := atok.AdditionalData["user_id"]; got != "1002" {
				t.Errorf("user_id: got %q, want 1002", got)
			}
			if got := atok.AdditionalData["screen_name"]; got != "bob" {
				t.Errorf("screen_name: got %q, want bob", got)
			}
			client, err := consumer.MakeHttpClient(atok)
			if err != nil {
				t.Fatal(err)
			}
			resp, err = client.Get(srv.URL + OAuth1PathEcho + "?q=a+b&q=%2F&empty=")
			if err != nil {
				t.Fatal(err)
			}
			var echo struct {
				UserID string     `json:"user_id"`
				Query  url.Values `json:"query"`
			}
			err = json.NewDecoder(resp.Body).Decode(&echo)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || err != nil {
				t.Fatalf("signed GET: got %d (%v), want 200", resp.StatusCode, err)
			}
			if echo.UserID != "1002" || len(echo.Query["q"]) != 2 {
				t.Errorf("echo: got user %q query %v, want 1002 and two q values", echo.UserID, echo.Query)
			}
			resp, err = client.Get(srv.URL + OAuth1PathEcho + "?q=a+b&slash=%2F&empty=")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("signed GET: got %d, want 200", resp.StatusCode)
			}
			resp, err = client.PostForm(srv.URL+OAuth1PathEcho, url.Values{"status": {"hello, world & more ~"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("signed form POST: got %d, want 200", resp.StatusCode)
			}

			verifier := o1IndependentVerifier(srv, key)
			checked := 0
			for _, r := range srv.Requests() {
				if r.Path == OAuth1PathAuthorize {
					continue
				}
				if r.Problem != "" {
					t.Errorf("%s %s: server problem %q", r.Method, r.Path, r.Problem)
				}
				// mrjones verifies HMAC-SHA1 without a token secret only, and
				// keeps only the first value of a repeated parameter.
				if method == "HMAC-SHA1" && r.Path != OAuth1PathRequestToken || strings.Contains(r.URL, "q=%2F") {
					continue
				}
				if _, err := verifier.IsAuthorized(o1Replay(t, r)); err != nil {
					t.Errorf("%s %s: independent verifier: %v", r.Method, r.Path, err)
				}
				checked++
			}
			if want := map[string]int{"HMAC-SHA1": 1, "RSA-SHA1": 4}[method]; checked != want {
				t.Errorf("independently verified %d requests, want %d", checked, want)
			}
		})
	}
}

// o1Signed builds a request signed by the test itself, so that each
// parameter can be wrong on purpose.
type o1Signed struct {
	method, url    string
	form           url.Values
	oauth          map[string]string // protocol parameters; "" values are dropped
	consumerSecret string
	tokenSecret    string
	rsaKey         *rsa.PrivateKey
	tamper         func(sig string) string
	inBody         bool // protocol parameters in the form body instead of the header
}

func o1Defaults(srv *OAuth1Server, extra ...string) map[string]string {
	m := map[string]string{
		"oauth_consumer_key":     srv.ConsumerKey(),
		"oauth_signature_method": srv.cfg.SignatureMethod,
		"oauth_timestamp":        strconv.FormatInt(time.Now().Unix(), 10),
		"oauth_nonce":            o1Random(),
		"oauth_version":          "1.0",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func (s o1Signed) request(t *testing.T) *http.Request {
	t.Helper()
	u, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	var all []o1Pair
	for k, vs := range u.Query() {
		for _, v := range vs {
			all = append(all, o1Pair{k, v})
		}
	}
	form := url.Values{}
	for k, vs := range s.form {
		form[k] = append([]string(nil), vs...)
	}
	for k, v := range s.oauth {
		if v == "" {
			continue
		}
		all = append(all, o1Pair{k, v})
		if s.inBody {
			form.Set(k, v)
		}
	}
	for k, vs := range s.form {
		for _, v := range vs {
			all = append(all, o1Pair{k, v})
		}
	}
	base := o1SignatureBase(s.method, u.Scheme+"://"+strings.ToLower(u.Host)+u.EscapedPath(), all)
	var sig []byte
	if s.rsaKey != nil {
		d := sha1.Sum([]byte(base))
		if sig, err = rsa.SignPKCS1v15(rand.Reader, s.rsaKey, crypto.SHA1, d[:]); err != nil {
			t.Fatal(err)
		}
	} else {
		mac := hmac.New(sha1.New, []byte(o1PercentEncode(s.consumerSecret)+"&"+o1PercentEncode(s.tokenSecret)))
		mac.Write([]byte(base))
		sig = mac.Sum(nil)
	}
	signature := base64.StdEncoding.EncodeToString(sig)
	if s.tamper != nil {
		signature = s.tamper(signature)
	}
	var body io.Reader
	if len(form) > 0 {
		if s.inBody {
			form.Set("oauth_signature", signature)
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(s.method, s.url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if !s.inBody {
		parts := []string{`realm="test"`}
		for k, v := range s.oauth {
			if v != "" {
				parts = append(parts, o1PercentEncode(k)+`="`+o1PercentEncode(v)+`"`)
			}
		}
		parts = append(parts, `oauth_signature="`+o1PercentEncode(signature)+`"`)
		req.Header.Set("Authorization", "OAuth "+strings.Join(parts, ", "))
	}
	return req
}

// o1Do sends req and returns the status and the oauth_problem.
func o1Do(t *testing.T, client *http.Client, req *http.Request) (int, url.Values) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	v, _ := url.ParseQuery(string(body))
	return resp.StatusCode, v
}

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

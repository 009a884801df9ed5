package slack_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/slack"
)

type ref struct {
	mu sync.Mutex
	t  *ginoauth.Token
}

func (r *ref) Load(context.Context) (*ginoauth.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.t, nil
}

func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t = nt
	return nt, nil
}

// seen is what the API server received.
type seen struct {
	method, path, auth, contentType string
	query                           url.Values
	body                            string
}

func recorder(t *testing.T, answer func(path string) string) (*httptest.Server, <-chan seen) {
	t.Helper()
	ch := make(chan seen, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- seen{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.URL.Query(), string(b)}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer(r.URL.Path))
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

const identityJSON = `{"ok":true,"user":{"name":"Sonny Whether","id":"U0G9QF9C6","email":"bobby@slack-corp.com",
	"image_24":"https://cdn.example.com/sonny_24.jpg","image_32":"https://cdn.example.com/sonny_32.jpg",
	"image_48":"https://cdn.example.com/sonny_48.jpg","image_72":"https://cdn.example.com/sonny_72.jpg",
	"image_192":"https://cdn.example.com/sonny_192.jpg","image_512":"https://cdn.example.com/sonny_512.jpg"},
	"team":{"id":"T0G9PQBBK","name":"Captain Fabian's Naval Supply"}}`

func newBP(t *testing.T, cfg slack.Config, apiBase string) *ginoauth.Blueprint {
	t.Helper()
	p := slack.Provider(cfg)
	p.APIBaseURL = apiBase
	bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	return bp
}

func TestProfileIdentity(t *testing.T) {
	t.Parallel()
	srv, got := recorder(t, func(string) string { return identityJSON })
	bp := newBP(t, slack.Config{}, srv.URL+"/api/")
	p, err := bp.ProfileFor(context.Background(), &ref{t: &ginoauth.Token{AccessToken: "xoxp-tok"}})
	if err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.path != "/api/users.identity" || s.query.Has("token") || s.auth != "Bearer xoxp-tok" {
		t.Errorf("request %s ?token=%q Authorization=%q, want /api/users.identity with the token as a Bearer header only",
			s.path, s.query.Get("token"), s.auth)
	}
	if string(p.Raw) != identityJSON {
		t.Errorf("Raw = %s, want the users.identity body", p.Raw)
	}
	p.Raw = nil
	want := ginoauth.Profile{ID: "U0G9QF9C6", Email: "bobby@slack-corp.com", Name: "Sonny Whether",
		AvatarURL: "https://cdn.example.com/sonny_512.jpg"}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("got %+v, want %+v", *p, want)
	}
}

func TestProfileAuthTestFallback(t *testing.T) {
	t.Parallel()
	const authTestJSON = `{"ok":true,"url":"https://subarachnoid.slack.com/","team":"Subarachnoid Workspace",
		"user":"grace","team_id":"T12345678","user_id":"W12345678"}`
	srv, got := recorder(t, func(path string) string {
		if strings.HasSuffix(path, "users.identity") {
			return `{"ok":false,"error":"missing_scope","needed":"identity.basic","provided":"identify,chat:write:bot"}`
		}
		return authTestJSON
	})
	bp := newBP(t, slack.Config{}, srv.URL+"/api/")
	p, err := bp.ProfileFor(context.Background(), &ref{t: &ginoauth.Token{AccessToken: "xoxp-tok"}})
	if err != nil {
		t.Fatal(err)
	}
	if s1, s2 := <-got, <-got; s1.path != "/api/users.identity" || s2.path != "/api/auth.test" {
		t.Errorf("paths %s, %s; want users.identity then auth.test", s1.path, s2.path)
	}
	if string(p.Raw) != authTestJSON {
		t.Errorf("Raw = %s, want the auth.test body", p.Raw)
	}
	p.Raw = nil
	if want := (ginoauth.Profile{ID: "W12345678", Username: "grace"}); !reflect.DeepEqual(*p, want) {
		t.Errorf("got %+v, want %+v", *p, want)
	}
}

func TestProfileError(t *testing.T) {
	t.Parallel()
	srv, _ := recorder(t, func(string) string { return `{"ok":false,"error":"invalid_auth"}` })
	bp := newBP(t, slack.Config{}, srv.URL+"/api/")
	_, err := bp.ProfileFor(context.Background(), &ref{t: &ginoauth.Token{AccessToken: "xoxp-tok"}})
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("got %v, want an invalid_auth error", err)
	}
	if err != nil && strings.Contains(err.Error(), "xoxp-tok") {
		t.Errorf("error %q shows the token", err)
	}
}

// TestProfileV2UserToken checks that the v2 profile calls the API with
// the authed_user token, as a Bearer header only.
func TestProfileV2UserToken(t *testing.T) {
	t.Parallel()
	srv, got := recorder(t, func(string) string { return identityJSON })
	bp := newBP(t, slack.Config{V2: true}, srv.URL+"/api/")
	tok := &ginoauth.Token{AccessToken: "xoxb-bot", Extra: map[string]any{
		"team":        map[string]any{"id": "T0G9PQBBK", "name": "Naval Supply"},
		"authed_user": map[string]any{"id": "U0G9QF9C6", "scope": "identity.basic", "access_token": "xoxp-user", "token_type": "user"},
	}}
	p, err := bp.ProfileFor(context.Background(), &ref{t: tok})
	if err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.auth != "Bearer xoxp-user" || s.query.Has("token") {
		t.Errorf("Authorization=%q token param=%v, want the user token as Bearer only", s.auth, s.query.Has("token"))
	}
	if p.ID != "U0G9QF9C6" {
		t.Errorf("ID = %q, want U0G9QF9C6", p.ID)
	}
}

// TestTokenParam checks the classic Web API's token parameter on API
// calls made with the blueprint's client.
func TestTokenParam(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		v2          bool
		method      string
		path        string // with query
		contentType string
		body        string
		header      string // caller's Authorization
		wantQuery   string // token in the query, "" for none
		wantBody    string
		wantAuth    string
	}{
		{"get", false, "GET", "conversations.list?limit=2", "", "", "", "", "", "Bearer xoxp-tok"},
		{"get with own token", false, "GET", "conversations.list?token=xoxb-other", "", "", "", "xoxb-other", "", "Bearer xoxp-tok"},
		{"form post", false, "POST", "chat.postMessage", form, "channel=C1&text=hi", "", "", "channel=C1&text=hi&token=xoxp-tok", "Bearer xoxp-tok"},
		{"empty form post", false, "POST", "auth.revoke", form, "", "", "", "token=xoxp-tok", "Bearer xoxp-tok"},
		{"form post with own token", false, "POST", "chat.postMessage", form, "token=xoxb-other&text=hi", "", "", "token=xoxb-other&text=hi", "Bearer xoxp-tok"},
		{"form post, token in URL", false, "POST", "chat.postMessage?token=xoxb-other", form, "text=hi", "", "xoxb-other", "text=hi", "Bearer xoxp-tok"},
		{"json post", false, "POST", "chat.postMessage", "application/json", `{"channel":"C1"}`, "", "", `{"channel":"C1"}`, "Bearer xoxp-tok"},
		{"own authorization", false, "GET", "auth.test", "", "", "Bearer xoxp-user", "", "", "Bearer xoxp-user"},
		{"v2 get", true, "GET", "auth.test", "", "", "", "", "", "Bearer xoxp-tok"},
		{"v2 form post", true, "POST", "chat.postMessage", form, "text=hi", "", "", "text=hi", "Bearer xoxp-tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, got := recorder(t, func(string) string { return `{"ok":true}` })
			bp := newBP(t, slack.Config{V2: tt.v2}, srv.URL+"/api/")
			client := bp.ClientFor(context.Background(), &ref{t: &ginoauth.Token{AccessToken: "xoxp-tok"}})
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			// An absolute URL: the caller's request must stay unchanged.
			req, err := http.NewRequest(tt.method, srv.URL+"/api/"+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			before := req.URL.String()
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			s := <-got
			if g := s.query.Get("token"); g != tt.wantQuery {
				t.Errorf("query token = %q, want %q", g, tt.wantQuery)
			}
			if s.body != tt.wantBody {
				t.Errorf("body = %q, want %q", s.body, tt.wantBody)
			}
			if s.auth != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", s.auth, tt.wantAuth)
			}
			if req.URL.String() != before {
				t.Errorf("caller's URL changed to %s", req.URL)
			}
		})
	}
}

// rewrite sends every request to srv, whatever its host.
type rewrite struct{ srv *httptest.Server }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	u, _ := url.Parse(rw.srv.URL)
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = u.Scheme, u.Host, ""
	return http.DefaultTransport.RoundTrip(r2)
}

// TestV2UserOnlyToken refreshes a v2 user token through the blueprint
// from New, against a token endpoint that answers as Slack does for
// user-only installs: the new token is taken from authed_user.
func TestV2UserOnlyToken(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/oauth.v2.access":
			r.ParseForm()
			mu.Lock()
			form = r.PostForm
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true,"app_id":"A0KRD7HC3","team":{"name":"Slack Softball Team","id":"T9TK3CUKW"},
				"enterprise":null,"is_enterprise_install":false,
				"authed_user":{"id":"U1234","scope":"identity.basic","access_token":"xoxe.xoxp-new","token_type":"user",
				"refresh_token":"xoxe-1-r2","expires_in":43200}}`)
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	defer srv.Close()
	bp, err := slack.New(slack.Config{
		Config:     ginoauth.Config{ClientID: "id", ClientSecret: "secret", HTTPClient: &http.Client{Transport: rewrite{srv}}},
		V2:         true,
		UserScopes: []string{"identity.basic"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &ref{t: &ginoauth.Token{AccessToken: "xoxe.xoxp-old", RefreshToken: "xoxe-1-r1", Expiry: time.Now().Add(-time.Hour)}}
	resp, err := bp.ClientFor(context.Background(), r).Get("auth.test")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != "xoxe-1-r1" {
		t.Errorf("refresh form = %v, want grant_type=refresh_token with the old refresh token", form)
	}
	mu.Unlock()
	nt, _ := r.Load(context.Background())
	if nt.AccessToken != "xoxe.xoxp-new" || nt.RefreshToken != "xoxe-1-r2" || nt.Expiry.IsZero() {
		t.Errorf("saved token: access %q refresh %q expiry %v; want the authed_user token", nt.AccessToken, nt.RefreshToken, nt.Expiry)
	}
	if team, _ := nt.Extra["team"].(map[string]any); team["id"] != "T9TK3CUKW" {
		t.Errorf("Extra[team] = %v, want the team object", nt.Extra["team"])
	}
	if _, ok := nt.Extra["authed_user"].(map[string]any); !ok {
		t.Errorf("Extra[authed_user] = %v, want the authed_user object", nt.Extra["authed_user"])
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	base := ginoauth.Config{ClientID: "id"}
	for _, cfg := range []slack.Config{
		{Config: base, Subdomain: "evil.com/"},
		{Config: base, Subdomain: "-team"},
		{Config: base, UserScopes: []string{"identity.basic"}},
	} {
		if _, err := slack.New(cfg); err == nil {
			t.Errorf("New(%+v): got nil error, want one", cfg)
		}
	}
	if _, err := slack.New(slack.Config{Config: base, Subdomain: "my-team"}); err != nil {
		t.Errorf("Subdomain my-team: got %v, want no error", err)
	}
}

func TestSubdomain(t *testing.T) {
	t.Parallel()
	if got, want := slack.Provider(slack.Config{Subdomain: "myteam"}).Endpoint.AuthURL, "https://myteam.slack.com/oauth/authorize"; got != want {
		t.Errorf("classic AuthURL = %q, want %q", got, want)
	}
	if got, want := slack.Provider(slack.Config{Subdomain: "myteam", V2: true}).Endpoint.AuthURL, "https://myteam.slack.com/oauth/v2/authorize"; got != want {
		t.Errorf("v2 AuthURL = %q, want %q", got, want)
	}
}

// TestTokenInQueryIsOptIn: the outside review's finding that the classic
// flow put the token in API URLs. Only Config.TokenInQuery does.
func TestTokenInQueryIsOptIn(t *testing.T) {
	t.Parallel()
	for _, inQuery := range []bool{false, true} {
		srv, got := recorder(t, func(string) string { return `{"ok":true}` })
		bp := newBP(t, slack.Config{TokenInQuery: inQuery}, srv.URL+"/api/")
		resp, err := bp.ClientFor(context.Background(), &ref{t: &ginoauth.Token{AccessToken: "xoxp-tok"}}).Get("conversations.list")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if s := <-got; (s.query.Get("token") == "xoxp-tok") != inQuery || s.auth != "Bearer xoxp-tok" {
			t.Errorf("TokenInQuery %v: ?token=%q Authorization=%q", inQuery, s.query.Get("token"), s.auth)
		}
	}
}

package docsnippets

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

func makeRow(t *testing.T, c providerCase, oauth1Server *ginoauthtest.OAuth1Server, jiraServer *ginoauthtest.OAuth1Server) row {
	typ := configType(c.newBP)
	own := ownFields(typ)
	for _, m := range noteIdentRe.FindAllStringSubmatch(c.note, -1) {
		if !slices.Contains(own, m[1]) {
			t.Errorf("%s: note names `%s`, which is not a field of %s.Config", c.pkg, m[1], c.pkg)
		}
	}
	r := row{ctor: fmt.Sprintf("[`%s.%s`](https://pkg.go.dev/github.com/ginoauth/ginoauth/providers/%s)", c.pkg, c.ctor, c.pkg), note: c.note}

	// Required fields: New must fail without them and succeed with them.
	var req []string
	for k := range c.required {
		req = append(req, k)
	}
	slices.Sort(req)
	r.required = codeList(req)
	if len(req) == 0 {
		r.required = ""
	}
	if c.ctor == "NewOAuth1" {
		r.options = "`AuthParams` (`force_login`, ...)"
	} else {
		var opts []string
		for _, f := range own {
			if _, ok := c.required[f]; !ok {
				opts = append(opts, f)
			}
		}
		r.options = codeList(opts)
		if len(opts) == 0 {
			r.options = ""
		}
	}

	// Environment variables: set them, build with empty credentials, and
	// check the provider sees the ID.
	const id, secret = "docs-client-id", "docs-client-secret"
	idVar, secretVar := c.idVar, c.secretVar
	if c.env != "" {
		idVar, secretVar = c.env+"_OAUTH_CLIENT_ID", c.env+"_OAUTH_CLIENT_SECRET"
	}
	base := ginoauth.Config{}
	switch {
	case c.pkg == "jira":
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(jiraKey)})
		t.Setenv(idVar, jiraServer.ConsumerKey())
		t.Setenv(secretVar, string(pemKey))
	case c.ctor == "NewOAuth1":
		t.Setenv(idVar, oauth1Server.ConsumerKey())
		t.Setenv(secretVar, oauth1Server.ConsumerSecret())
		base.HTTPClient = oauth1Server.Client()
	default:
		t.Setenv(idVar, id)
		if secretVar != "" {
			t.Setenv(secretVar, secret)
		}
	}
	if len(c.required) > 0 {
		v := reflect.New(typ).Elem()
		v.FieldByName("Config").Set(reflect.ValueOf(base))
		if _, err := callNew(c.newBP, v); err == nil {
			t.Errorf("%s.%s without %v: got nil error, want one", c.pkg, c.ctor, req)
		}
	}
	bp, err := callNew(c.newBP, buildConfig(t, typ, c, base, ""))
	if err != nil {
		t.Fatalf("%s.%s with %s set: %v", c.pkg, c.ctor, idVar, err)
	}
	loc := loginRedirect(t, bp)
	q := loc.Query()
	if c.pkg == "jira" || c.ctor == "NewOAuth1" {
		// The request-token call succeeded with the consumer key (and
		// key or secret) from the environment.
		if q.Get("oauth_token") == "" {
			t.Errorf("%s: login redirect %s has no oauth_token", c.pkg, loc)
		}
	} else if got := q.Get("client_id"); got != id {
		t.Errorf("%s: client_id in the login redirect: got %q, want %q from %s", c.pkg, got, id, idVar)
	}
	r.env = code(idVar)
	if secretVar != "" {
		r.env += " " + code(secretVar)
	}
	if c.ctor == "NewOAuth1" || c.pkg == "jira" {
		r.scopes, r.pkce, r.idToken, r.refresh = "n/a", "n/a", "no", "n/a (tokens do not expire)"
		r.revoke = "no"
		if c.oauth1(jiraServer.URL).RevocationURL != "" {
			r.revoke = "yes"
		}
		return r
	}

	// What the code says.
	p := callProvider(c.provider, buildConfig(t, typ, c, base, ""))
	if p.Name != bp.Name() {
		t.Errorf("%s: Provider().Name %q, blueprint name %q", c.pkg, p.Name, bp.Name())
	}
	r.scopes = codeList(p.Scopes)
	wantPKCE := !p.DisablePKCE
	if got := q.Get("code_challenge") != ""; got != wantPKCE {
		t.Errorf("%s: code_challenge sent: got %t, want %t", c.pkg, got, wantPKCE)
	}
	if wantPKCE {
		r.pkce = "yes"
	} else {
		r.pkce = "no"
	}
	if got, want := q.Get("scope"), strings.Join(p.Scopes, sep(p)); got != want {
		t.Errorf("%s: scope in the login redirect: got %q, want %q", c.pkg, got, want)
	}
	if p.OpenID && p.VerifyIDToken != nil {
		r.idToken = "verified"
		if q.Get("nonce") == "" {
			t.Errorf("%s: OpenID provider sent no nonce", c.pkg)
		}
	} else {
		r.idToken = "no"
	}
	r.refresh = "yes"
	if p.RefreshDisabled {
		r.refresh = "no"
		for _, f := range own {
			if typ.FieldByIndex(mustField(typ, f).Index).Type.Kind() != reflect.Bool {
				continue
			}
			if !callProvider(c.provider, buildConfig(t, typ, c, base, f)).RefreshDisabled {
				r.refresh = "with " + code(f)
			}
		}
		withScope := base
		withScope.Scopes = append(slices.Clone(p.Scopes), "offline_access")
		if !callProvider(c.provider, buildConfig(t, typ, c, withScope, "")).RefreshDisabled {
			r.refresh = "with scope `offline_access`"
		}
	}
	r.revoke = "no"
	if p.RevocationURL != "" {
		r.revoke = "yes"
	}
	if c.pkg == "oidc" {
		// Revocation is whatever the discovery document says.
		m := oidc.Metadata{Issuer: "https://id.example.com", AuthURL: "https://id.example.com/a", TokenURL: "https://id.example.com/t", RevocationURL: "https://id.example.com/r"}
		if oidc.FromMetadata(m, oidc.Config{Config: ginoauth.Config{ClientID: id}}).RevocationURL != m.RevocationURL {
			t.Errorf("oidc: the discovered revocation_endpoint is not used")
		}
		r.revoke = "if discovered"
	}
	return r
}

func sep(p ginoauth.Provider) string {
	if p.ScopeSeparator != "" {
		return p.ScopeSeparator
	}
	return " "
}

func mustField(typ reflect.Type, name string) reflect.StructField {
	f, _ := typ.FieldByName(name)
	return f
}

var jiraKey *rsa.PrivateKey

const (
	tableBegin = "<!-- BEGIN PROVIDER TABLE: generated by go test ./internal/docsnippets -run TestProviderTable -update -->"
	tableEnd   = "<!-- END PROVIDER TABLE -->"
)

// TestProviderTable checks the table in docs/providers.md against the
// provider packages.
func TestProviderTable(t *testing.T) {
	root := repoRoot(t)

	// Every provider package has a row.
	dirs, err := os.ReadDir(filepath.Join(root, "providers"))
	if err != nil {
		t.Fatal(err)
	}
	issuer := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true})
	defer issuer.Close()
	_, jiraKey = testKeys(t)
	oauth1 := ginoauthtest.NewOAuth1Server(ginoauthtest.OAuth1Config{TLS: true}) // X's URLs are https
	defer oauth1.Close()
	jiraSrv := ginoauthtest.NewOAuth1Server(ginoauthtest.OAuth1Config{SignatureMethod: "RSA-SHA1", RSAPublicKey: &jiraKey.PublicKey})
	defer jiraSrv.Close()

	cases := providerCases(t, issuer.URL)
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "internal" {
			continue
		}
		if !slices.ContainsFunc(cases, func(c providerCase) bool { return c.pkg == d.Name() }) {
			t.Errorf("providers/%s has no row in the provider table: add it to providerCases", d.Name())
		}
	}
	for i := range cases {
		if cases[i].pkg == "jira" {
			cases[i].required["BaseURL"] = jiraSrv.URL
		}
	}

	var b strings.Builder
	b.WriteString(tableBegin + "\n\n")
	b.WriteString("| Constructor | Environment variables | Required | Options | Default scopes | PKCE | ID token | Refresh | Revoke | Notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range cases {
		var r row
		t.Run(c.pkg+"."+c.ctor, func(t *testing.T) {
			r = makeRow(t, c, oauth1, jiraSrv)
		})
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.ctor, r.env, r.required, r.options, r.scopes, r.pkce, r.idToken, r.refresh, r.revoke, r.note)
	}
	b.WriteString("\n" + tableEnd)
	if t.Failed() {
		return
	}

	path := filepath.Join(root, "docs", "providers.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("docs/providers.md has no %q ... %q section", tableBegin, tableEnd)
	}
	got := s[i : j+len(tableEnd)]
	want := b.String()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i]+want+s[j+len(tableEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote the provider table in docs/providers.md")
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for k := range max(len(gl), len(wl)) {
		var g, w string
		if k < len(gl) {
			g = gl[k]
		}
		if k < len(wl) {
			w = wl[k]
		}
		if g != w {
			t.Errorf("docs/providers.md provider table is stale; first difference:\n got: %s\nwant: %s\nRegenerate with: go test ./internal/docsnippets -run TestProviderTable -update", g, w)
			break
		}
	}
}

package ginoauthtest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

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

package ginoauth

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestCallbackURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		remote  string
		tls     bool
		headers map[string]string
		want    string
	}{
		{"derived", Config{}, "127.0.0.1:5000", false, nil, "http://app.local:8080/login/test/authorized"},
		{"tls", Config{}, "127.0.0.1:5000", true, nil, "https://app.local:8080/login/test/authorized"},
		{"untrusted proxy headers ignored", Config{}, "10.0.0.1:5000", false,
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}, "http://app.local:8080/login/test/authorized"},
		{"trusted proxy", Config{TrustedProxies: []string{"10.0.0.0/8"}}, "10.0.0.1:5000", false,
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com"}, "https://app.example.com/login/test/authorized"},
		{"trusted proxy single address", Config{TrustedProxies: []string{"10.0.0.1"}}, "10.0.0.1:5000", false,
			map[string]string{"X-Forwarded-Proto": "https"}, "https://app.local:8080/login/test/authorized"},
		{"rfc 7239", Config{TrustedProxies: []string{"10.0.0.0/8"}}, "10.0.0.1:5000", false,
			map[string]string{"Forwarded": `for=1.2.3.4;proto=https;host="app.example.com", for=10.0.0.2`}, "https://app.example.com/login/test/authorized"},
		{"bad forwarded host", Config{TrustedProxies: []string{"10.0.0.0/8"}}, "10.0.0.1:5000", false,
			map[string]string{"X-Forwarded-Host": "evil.example/path"}, "http://app.local:8080/login/test/authorized"},
		{"explicit", Config{RedirectURL: "https://fixed.example/cb"}, "127.0.0.1:5000", false, nil, "https://fixed.example/cb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.ClientID = "id"
			bp := must(New(testProvider(), cfg))
			r := gin.New()
			bp.Register(r.Group("/login"))
			req := httptest.NewRequest(http.MethodGet, "http://app.local:8080/login/test", nil)
			req.RemoteAddr = tt.remote
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = req
			if got := bp.callbackURL(c); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestCallbackURLPerRequest: one blueprint serving several origins gives
// each request its own origin's callback URL (the last one is remembered,
// never reused for another).
func TestCallbackURLPerRequest(t *testing.T) {
	bp := must(New(testProvider(), Config{ClientID: "id", TrustedProxies: []string{"10.0.0.0/8"}}))
	r := gin.New()
	bp.Register(r.Group("/login"))
	for _, tt := range []struct {
		url, forwardedHost, want string
		tls                      bool
	}{
		{"http://a.example/login/test", "", "http://a.example/login/test/authorized", false},
		{"http://a.example/login/test", "", "https://a.example/login/test/authorized", true},
		{"http://a.example/login/test", "b.example", "http://b.example/login/test/authorized", false},
		{"http://a.example/login/test", "", "http://a.example/login/test/authorized", false},
		{"http://a.example:8080/login/test", "", "http://a.example:8080/login/test/authorized", false},
	} {
		req := httptest.NewRequest(http.MethodGet, tt.url, nil)
		req.RemoteAddr = "10.0.0.1:5000"
		if tt.tls {
			req.TLS = &tls.ConnectionState{}
		}
		if tt.forwardedHost != "" {
			req.Header.Set("X-Forwarded-Host", tt.forwardedHost)
		}
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = req
		if got := bp.callbackURL(c); got != tt.want {
			t.Errorf("%s (forwarded host %q, TLS %v): got %s, want %s", tt.url, tt.forwardedHost, tt.tls, got, tt.want)
		}
	}
}

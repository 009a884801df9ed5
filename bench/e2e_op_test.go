package bench

import (
	"crypto/sha256"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The OpenID Provider of the end-to-end benchmarks: zitadel/oidc's OP, an
// independent, certified implementation, with the in-memory storage of its
// example server. It runs in a process of its own, so that its CPU time is
// not the app's.

const (
	e2eClientID = "bench-app"
	e2eSecret   = "bench-app-secret"
	e2ePassword = "verysecure" // the example user store's password
)

// serveOP serves the provider on ln until the process ends. issuer is
// ln's URL; appURL is the app's, whose callback is the one registered
// redirect URI.
func serveOP(ln net.Listener, issuer, appURL string) error {
	clients := map[string]*storage.Client{
		e2eClientID: storage.WebClient(e2eClientID, e2eSecret, appURL+e2eCallbackPath),
	}
	st := storage.NewStorageWithClients(storage.NewUserStore(issuer), clients)
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:             sha256.Sum256([]byte("bench op key")),
		CodeMethodS256:        true,
		GrantTypeRefreshToken: true,
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		return err
	}
	callback := op.AuthCallbackURL(provider)
	host := strings.Split(strings.TrimPrefix(issuer, "http://"), ":")[0]
	username := "test-user@" + host // the example user store's user id1
	mux := http.NewServeMux()
	// The provider's login page: the user signs in at once.
	mux.Handle("/login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			id := r.URL.Query().Get("authRequestID")
			if err := st.CheckUsernamePassword(username, e2ePassword, id); err != nil {
				http.Error(w, "login failed", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
		}))
	mux.Handle("/", provider)
	var mu sync.Mutex // the example storage reads some of its maps unlocked
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
}

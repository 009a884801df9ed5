// Package bench compares ginoauth with the two ways Gin applications
// otherwise log users in with GitHub: golang.org/x/oauth2 and
// gin-contrib/sessions used by hand, and markbates/goth with gothic.
//
// Each implementation is mounted on the same Gin engine setup (one
// gin-contrib/sessions cookie store) by [New], and driven by a [Browser]
// through the same flow: the login route, the provider's approval, the
// callback (code exchange, then the profile from GET /user and
// /user/emails, then the token stored), and an API call with the stored
// token. The provider is a GitHub-shaped [Provider] that checks client
// credentials, single-use codes, PKCE, rotating refresh tokens and the
// access tokens it issued, answering either in process (library overhead)
// or over loopback HTTP after a delay (end to end).
//
// The benchmarks live in this package's tests; run.sh runs them and prints
// the ratios. This is a separate module so that the root module never
// depends on goth.
package bench

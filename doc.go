// Package ginoauth is an OAuth consumer library for the Gin web framework,
// in the manner of Python's Flask-Dance.
//
// An application mounts one [Blueprint] per OAuth provider on a Gin router
// group. The blueprint owns two routes:
//
//   - the login route (default "/{name}") redirects the browser to the
//     provider's authorization page, with a fresh single-use state and a PKCE
//     challenge bound to the user's session;
//   - the authorized route (default "/{name}/authorized") is the callback: it
//     checks the state, exchanges the code for a token, runs the
//     [Hooks.Authorized] hook and stores the token in the blueprint's
//     [Storage].
//
// The application's own handlers then call [Blueprint.Client] for an
// *http.Client that carries the stored token, resolves URLs relative to the
// provider's API base URL, refreshes the token when it expires and saves the
// refreshed token back to the storage.
//
//	bp, err := ginoauth.New(provider, ginoauth.Config{
//		ClientID:     os.Getenv("GITHUB_OAUTH_CLIENT_ID"),
//		ClientSecret: os.Getenv("GITHUB_OAUTH_CLIENT_SECRET"),
//	})
//	r.Use(sessions.Sessions("app", cookie.NewStore(authKey, encryptionKey)))
//	bp.Register(r.Group("/login")) // GET /login/github, GET /login/github/authorized
//	r.GET("/me", bp.Required(), func(c *gin.Context) {
//		client, _ := bp.Client(c)
//		resp, err := client.Get("user") // https://api.github.com/user
//		...
//	})
//
// Pre-configured providers live in the providers/ packages; token storages
// other than the default session storage live in backends/.
//
// # Names for Flask-Dance users
//
//	make_github_blueprint(...)        github.New(github.Config{...})
//	OAuth2ConsumerBlueprint(...)      ginoauth.New(ginoauth.Provider{...}, ginoauth.Config{...})
//	app.register_blueprint(bp, ...)   bp.Register(r.Group("/login"))
//	github.authorized                 bp.Authorized(c)
//	github.get("/user")               client, _ := bp.Client(c); client.Get("user")
//	bp.token / del bp.token           bp.Token(c) / bp.DeleteToken(c), bp.Logout(c)
//	oauth_before_login                Hooks.BeforeLogin
//	oauth_authorized (return False)   Hooks.Authorized (return ErrSkipStore)
//	oauth_error                       Hooks.Error (with a typed *Error)
//	SessionStorage / MemoryStorage    ginoauth.SessionStorage (the default), backends/memory
//	SQLAlchemyStorage                 backends/gormstore
//
// # OpenID Connect
//
// The OpenID presets and providers/oidc verify ID tokens, and give the
// blueprint two logout flows: [Blueprint.EndSession] (RP-Initiated Logout)
// and a back-channel logout route for the provider's logout tokens, acted
// on by a [SubjectLogout] storage and Hooks.BackChannelLogout. Instead of a
// client secret, Config.ClientAssertion authenticates the client with a
// signed JWT (package clientauth: private_key_jwt, client_secret_jwt).
//
// # Security
//
// The state parameter is 128 bits from crypto/rand, kept in the user's
// session, compared in constant time and consumed by the first callback that
// presents it, whatever the outcome. Each login has its own entry, so two
// tabs logging in at once both succeed. PKCE (S256) is on unless the provider
// rejects it. The post-login "next" parameter accepts only same-site relative
// paths. Nothing in this package logs or renders a client secret, token,
// authorization code, state or PKCE verifier; the optional [Config.Logger]
// receives the provider name, the step and the error kind only. Applications
// should keep the callback's query string out of their access logs (gin's
// LoggerConfig.SkipQueryString), since it carries the code and state.
package ginoauth

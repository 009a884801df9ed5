// Package gormstore keeps ginoauth tokens in a SQL database through GORM
// (PostgreSQL, MySQL/MariaDB, SQLite, or any GORM dialect), one row per
// provider account, linked to the application's local users. It is the
// counterpart of Flask-Dance's SQLAlchemy storage, with its data-loss and
// multi-user pitfalls removed.
//
// # Storage
//
// [New] returns a [Store], which implements [ginoauth.Storage]: its token
// slots compare and swap on the row's version and lock refreshes across app
// instances ([ginoauth.RefreshLocker]). The application says who is logged
// in with Config.UserID; the store never guesses:
//
//	store, err := gormstore.New(db, gormstore.Config{
//		UserID: func(c *gin.Context) (string, bool) {
//			id, ok := sessions.Default(c).Get("user_id").(string)
//			return id, ok
//		},
//		UserRequired: true,
//	})
//	err = store.AutoMigrate(ctx) // explicit; New never touches the schema
//	bp, err := ginoauth.New(provider, ginoauth.Config{ClientID: ..., Storage: store})
//
// The table (default "oauth_accounts", model [Account]) has a unique index
// on (provider, provider_user_id) and an index on (provider, user_id). User
// IDs are strings, so integer and UUID keys both fit (see [Account]).
//
// How it behaves, compared with Flask-Dance's storage:
//
//   - Saving updates the user's row in place, in one transaction, keeping
//     the provider user ID and any columns the application added; it never
//     deletes rows, and never another user's.
//   - A visitor who is not logged in never sees another visitor's token.
//     With UserRequired, such a visitor has no token (Token's error matches
//     both [ErrNoUser] and ginoauth.ErrNoToken) and deleting is a no-op;
//     otherwise the visitor's token lives in an anonymous row whose ID is
//     kept in their own session.
//   - A user with several linked accounts of one provider gets the most
//     recently updated one, never a "multiple results" error.
//   - Every query runs with the caller's context (a refresh saves under a
//     context detached from the request, so a client that disconnects
//     never loses a rotated token), and GORM's logger never sees the
//     statements' parameters.
//   - Logging out of a provider (DeleteToken) keeps the account link;
//     [Linker.Unlink] disconnects it.
//
// # Background jobs
//
// [Store.UserRef] is a user's token slot by user ID: it plugs into
// Blueprint.ClientFor for an *http.Client that refreshes and saves the
// user's token outside any request, and its Load and Swap read, store and
// delete the token directly.
//
// # Several app instances
//
// When two instances find the same expired token at once, only one of them
// refreshes it: the blueprint takes the slot's database lock
// (pg_advisory_lock on PostgreSQL, GET_LOCK on MySQL and MariaDB, a lock in
// process memory on SQLite) around the refresh, and the others wait in the
// database, then find the refreshed token instead of spending the same
// refresh token, which a provider that rotates refresh tokens would accept
// only once. Each refresh in progress holds one connection of the pool.
// The refreshed token is saved with a compare-and-swap on the row's
// Version, so a newer token is never overwritten by an older one.
//
// # Account linking
//
// [Store.Linker] returns a ready-made authorized hook that turns "log in with
// the provider" into a local login: returning users are logged in, a
// logged-in user gets the account linked, a new visitor gets a new local
// user through the application's callback. Emails link accounts only when
// the provider verified them and the application opts in.
//
// # Encryption at rest
//
// With Config.Keys, tokens are sealed with AES-GCM under the first key and
// bound to their row; any key in the list opens them, so keys rotate with
// [Store.Reencrypt].
//
// # Cache
//
// Config.CacheTTL adds a per-process read cache, invalidated by this
// process's writes.
//
// # SQLite
//
// With several connections, give SQLite a busy timeout and immediate
// transactions, e.g. "file:app.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate"
// with github.com/glebarez/sqlite, or limit the pool to one connection.
package gormstore

// Package backends is the home of ginoauth's token storages. Each
// sub-package implements [ginoauth.Storage]:
//
//   - The default, a user's gin-contrib/sessions session, is
//     [ginoauth.SessionStorage] in the root package, because a blueprint
//     needs the session anyway for its login state.
//   - memory keeps tokens in process memory, keyed per session or per user:
//     for tests and single-process development.
//   - null stores nothing, for apps whose Authorized hook keeps tokens
//     itself, and for tests of the logged-out case.
//   - gormstore keeps tokens in a SQL database through GORM, linked to local
//     user accounts, encrypted at rest, safe for several app instances.
//   - redislock is not a storage but the Redis coordinator that lets
//     several app instances share refreshes of tokens kept in sessions
//     ([ginoauth.SessionStorage.Coordinator]).
//   - storagetest is the conformance suite every storage runs, including
//     the ones applications write.
package backends

// Package reliability measures ginoauth outside the happy path: several app
// instances behind a load balancer sharing one Redis session store and one
// PostgreSQL token table, the provider and the databases failing and coming
// back, and sustained load on one instance.
//
// The package holds the harness those tests share (an app instance, a
// simulated load balancer, a simulated user who logs in at the test
// provider's account chooser) and the load generator behind cmd/loadtest.
// The tests themselves live in its _test.go files:
//
//   - TestMultiInstanceSoak: 3 instances, 30 users, tokens that expire every
//     2 seconds at a provider that rotates refresh tokens, for
//     GINOAUTH_SOAK (default 8s);
//   - TestProviderFaults: a slow, failing, garbled or vanishing token
//     endpoint during login and during refresh;
//   - TestPostgresRestart and TestRedisRestart: throwaway database servers
//     stopped and started again under the app;
//   - TestLoad: the load generator for GINOAUTH_LOAD (skipped when unset).
//
// Tests that need the shared servers read GINOAUTH_POSTGRES_DSN and
// GINOAUTH_REDIS_ADDR and skip when they are unset. docs/RELIABILITY.md has
// the figures and the commands that reproduce them.
package reliability

// Package docsnippets holds the tests that keep the guides in docs/ true:
// every Go code block in docs/*.md compiles against the current API, and the
// provider table in docs/providers.md matches the provider packages.
//
// # Code blocks
//
// TestSnippets extracts every block fenced with ```go from docs/*.md and
// checks them all with one "go vet" run, through a build overlay (see "go
// help build", -overlay): the generated Go files live in the user's cache
// directory, named by their content, and the package directories they
// pretend to live in are empty directories under testdata/snippets, which
// "./..." patterns skip and git does not see. Line directives make every
// error name the Markdown file and line of the offending code. Blocks that
// contain tests are run with "go test" at the same time, so the tests the
// guides show pass, not just compile. Stable names let go's build and test
// caches skip unchanged blocks on the next run.
//
// A block is one of two kinds:
//
//   - A complete file: its first line that is not a comment or blank starts
//     with "package". It is compiled exactly as written.
//   - A fragment: anything else. It must be a list of top-level declarations
//     (functions, types, variables, constants), never bare statements. The
//     test adds "package main", an import for every package name the block
//     uses from the table in docsnippets_test.go (ginoauth, gin, sessions, github,
//     gormstore, http, ...), and an empty main function unless a block of
//     its package declares one.
//
// Each block is its own package, unless the line just before its fence is
//
//	<!-- docsnippets: same package -->
//
// which compiles it as one more file of the previous block's package (a
// main.go followed by its main_test.go, say). A block that declares a
// function named Test..., Benchmark... or Example... is compiled as a
// _test.go file.
//
// Every block must also be gofmt-formatted. Blocks that are not Go (shell
// commands, output, configuration) use another fence tag, such as ```sh or
// ```text; Mermaid diagrams use ```mermaid.
//
// # Provider table
//
// TestProviderTable builds every provider package's blueprint and renders
// the table between the "BEGIN PROVIDER TABLE" and "END PROVIDER TABLE"
// comments of docs/providers.md from what the code does: the environment
// variables New reads (checked by setting them and starting a login), the
// options of each Config, the default scopes, whether the login sends a PKCE
// challenge, whether ID tokens are verified, refresh and revocation support.
// When the code changes, regenerate the table with
//
//	go test ./internal/docsnippets -run TestProviderTable -update
//
// # Other checks
//
// TestErrorKinds checks that docs/hooks.md lists every ginoauth.ErrorKind
// with its status, and TestLinks that every relative link between the guides
// points at a file and a heading that exist.
package docsnippets

// Package e2e holds sqlvigil's end-to-end tests: they build and start real
// external programs (a Jaeger built from source with the go tool mechanism,
// see the jaeger sub-module) and run the examples against the real database
// servers. It is a module of its own so that its weight never reaches the
// library's users.
//
// Run from this directory:
//
//	CI=true go test -count=1 ./...
//
// PostgreSQL is found through SQLVIGIL_POSTGRES_DSN (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable); an unreachable
// server skips the tests, or fails them when CI=true.
package e2e

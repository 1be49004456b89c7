// Package bench compares the cost of sqlvigil with what a service would use
// instead: the raw driver, bare github.com/ngrok/sqlmw and
// github.com/XSAM/otelsql with tracing. It is a separate module so that the
// peers and drivers it imports never reach the library's users.
//
// The benchmarks live in the test files; run.sh runs them and prints the
// table (see README.md).
package bench

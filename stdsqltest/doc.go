// Package stdsqltest runs the standard library's own database/sql tests
// with the "test" fake driver wrapped by sqlvigil, and checks that
// wrapping changes nothing a caller of database/sql can observe.
//
// # How
//
// The test (stdsql_test.go) copies database/sql's sources and tests from
// GOROOT into a temporary directory, as package sql of a throwaway
// module; it never commits a copy of them. In the package's own tests it
// wraps every driver registered (Register, including the fake driver
// "test") and every connector opened (OpenDB, as newTestDB does) with
// [github.com/sqlvigil/sqlvigil/stdsqltest/vigilwrap], and lets the
// tests' type assertions on the fake driver's values see through Unwrap
// (unwrap_test.go). It builds the test binary once and runs each
// top-level test in its own process (a panic ends only that test) in five
// configurations: raw (the baseline, unwrapped), passthrough, audit (spans
// to a tracetest.SpanRecorder), guard (a policy that allows unknown
// statements, as the fake driver's mini language is unknown to the
// analyser) and audit+guard.
//
// A test that passes raw and fails wrapped must be listed in
// expectations (expect_test.go) with its reason; any other failure, and
// any listed test that now passes, fails the run.
//
// Set STDSQLTEST_RACE=1 to build the copy with the race detector, and
// STDSQLTEST_DIR to a directory to keep the copy there.
package stdsqltest

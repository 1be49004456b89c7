// Package stdsqltest runs the standard library's own database/sql tests
// with the "test" fake driver wrapped by sqlvigil, and checks that
// wrapping changes nothing a caller of database/sql can observe.
//
// # How
//
// The test (stdsql_test.go) copies database/sql's sources and tests from
// GOROOT into a temporary directory, as package sql of a throwaway
// module; it never commits a copy of them. It patches the fake driver's
// registration ("test", in fakedb_test.go) to register the driver that
// [github.com/sqlvigil/sqlvigil/stdsqltest/vigilwrap.Driver] returns,
// builds the test binary once, and runs each top-level test in its own
// process (a panic ends only that test) in four configurations: raw (the
// baseline, unwrapped), passthrough, audit (spans to a
// tracetest.SpanRecorder) and guard (a policy that allows unknown
// statements, as the fake driver's mini language is unknown to the
// analyser).
//
// A test that passes raw and fails wrapped must be listed in
// expectations (expect_test.go) with its reason; any other failure, and
// any listed test that now passes, fails the run.
//
// Tests that build their own connector (OpenDB(fakeConnector{…})) or
// register other drivers run unwrapped in every configuration.
package stdsqltest

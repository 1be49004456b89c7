// Package difftest holds the differential tests of the statement analyser
// (internal/sqlparse) against reference parsers — pg_query_go (the
// PostgreSQL parser, cgo) and vitess's MySQL parser — and the comparative
// benchmarks. It is a separate module so that the reference parsers never
// reach the library's users.
//
// Run from this directory:
//
//	go test -v -run 'TestDiff' .
//	go test -run '^$' -bench . -benchmem -count 6 . | tee bench.txt && benchstat bench.txt
//
// Each differential test prints the statements the analyser claims complete
// while its kind, its written tables or its WHERE presence disagree with the
// reference (target zero; the test fails otherwise), and the share of the
// statements the reference parses that the analyser reads completely.
// DIFFTEST_DUMP=file writes the disagreements and incomplete statements to
// a file for inspection.
package difftest

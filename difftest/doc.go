// Package difftest holds the differential tests of the statement analyser
// (internal/sqlparse) against reference parsers — pg_query_go v6 (the
// PostgreSQL parser, cgo) and vitess v0.24.4's MySQL parser — and the
// comparative benchmarks. It is a separate module so that the reference
// parsers never reach the library's users.
//
// # Running
//
// From this directory:
//
//	go test -count=1 -v -run 'TestDiff' .
//	go test -run '^$' -bench . -benchmem -count 6 . | tee bench.txt && benchstat bench.txt
//
// The first build compiles libpg_query through cgo and takes minutes; later
// runs take seconds.
//
// # Corpora
//
// PostgreSQL: the regression suite in ../../shared/sqlcorpus/postgres, with
// psql meta-commands, trailing \g-style commands and COPY … FROM stdin data
// blocks removed, split by pg_query's scanner; statements holding psql
// variables are left out. MySQL: vitess's testdata (select_cases.txt,
// union_cases.txt, django_queries.txt, lobsters.sql.gz) and the inputs of
// its parse_test.go, read from the module cache; vitess's own syntax
// (vschema, vindex, vitess_migration, …) is left out, and DDL that vitess
// parses only loosely does not count as parseable (ParseStrictDDL).
//
// # What is compared
//
// Every statement the reference parses is analysed alone. The analyser may
// say it is not sure (Complete false): that lowers the share of complete
// statements (target at least 97%) and is never wrong. When it claims
// Complete, it must agree with the reference (target zero disagreements)
// on:
//   - being one statement;
//   - its kind;
//   - the relations written, for DML, COPY, TRUNCATE, SELECT INTO and the
//     CREATE / ALTER / DROP / RENAME of tables, views and sequences;
//   - the relations read, for queries and DML (CTE names and FOR UPDATE OF
//     aliases are not relations; where the harness cannot model a CTE's
//     scope, names that are also CTE names are not compared; vitess v0.24.4
//     drops an outer WITH around a parenthesised WITH, so those statements
//     are not compared for reads);
//   - its effect: data-modifying CTEs, EXPLAIN ANALYZE, ON CONFLICT / ON
//     DUPLICATE KEY UPDATE, MERGE … DELETE, SELECT INTO, INTO OUTFILE;
//   - the functions called, where the calls run with the statement (the
//     analyser may list more, never fewer);
//   - WHERE presence for UPDATE and DELETE;
//   - output columns of plain SELECTs over base tables: every column an
//     item reads is among its sources, an item that is not a bare column is
//     an expression, and a name, when the analyser gives one, is the
//     reference's.
//
// Each test prints both counts and fails when a target is missed.
// DIFFTEST_DUMP=prefix writes the disagreements and incomplete statements
// to prefix.postgresql and prefix.mysql for inspection.
package difftest

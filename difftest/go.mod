module github.com/sqlvigil/sqlvigil/difftest

go 1.26.8

require (
	github.com/pganalyze/pg_query_go/v6 v6.2.5
	github.com/sqlvigil/sqlvigil v0.0.0-00010101000000-000000000000
)

require google.golang.org/protobuf v1.36.12 // indirect

replace github.com/sqlvigil/sqlvigil => ../

module github.com/sqlvigil/sqlvigil/difftest

go 1.26.8

require (
	github.com/pganalyze/pg_query_go/v6 v6.2.5
	github.com/sqlvigil/sqlvigil v0.0.0-00010101000000-000000000000
	google.golang.org/protobuf v1.36.12
	vitess.io/vitess v0.24.4
)

require (
	github.com/golang/glog v1.2.5 // indirect
	github.com/lmittmann/tint v1.1.3 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/planetscale/vtprotobuf v0.6.1-0.20250313105119-ba97887b0a25 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
	golang.org/x/sys v0.49.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260928230214-8a89bd6388cc // indirect
	google.golang.org/grpc v1.83.2 // indirect
)

replace github.com/sqlvigil/sqlvigil => ../

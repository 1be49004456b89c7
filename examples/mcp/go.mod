module github.com/sqlvigil/sqlvigil/examples/mcp

go 1.26.0

require github.com/sqlvigil/sqlvigil v0.0.0

require github.com/modelcontextprotocol/go-sdk v1.8.0 // indirect

replace github.com/sqlvigil/sqlvigil => ../..

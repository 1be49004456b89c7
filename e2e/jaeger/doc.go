// Package jaeger pins the Jaeger release the end-to-end tests run, as a Go
// tool of its own module.
//
// It is a module of its own, apart from the e2e module, because Jaeger and
// sqlvigil require different versions of shared dependencies (OpenTelemetry,
// grpc-gateway, otelhttp): in one module graph the newer versions win and
// Jaeger v1.75.0 (the approved release) no longer compiles. Here Jaeger builds with exactly the
// versions it was released with. The e2e tests build it with
//
//	go build -C e2e/jaeger -o <dir>/jaeger github.com/jaegertracing/jaeger/cmd/jaeger
//
// or, by hand: cd e2e/jaeger && go tool jaeger --help
package jaeger

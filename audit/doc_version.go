package audit

// Version is the instrumentation version reported with the tracer and meter.
const Version = "0.1.0"

package bench_test

// vigilContenders are sqlvigil in its three settings.
func vigilContenders() []contender { return nil }

//go:build !unix

package driver_test

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }

//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package blackbox_test

func fillChild(string) int { return childFailed }

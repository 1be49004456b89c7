//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package blackbox

import (
	"errors"
	"os"
	"syscall"
)

// fileLock is an exclusive flock(2) on a black box's lock file. flock locks
// belong to an open file description, so two black boxes of one process
// exclude each other as two processes do; the kernel drops the lock when
// the process dies, so a crashed writer never blocks the next one.
type fileLock struct {
	f *os.File
}

func acquireLock(path string) (*fileLock, error) {
	f, err := os.OpenFile(path+lockSuffix, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockError{Path: path}
		}
		return nil, err
	}
	return &fileLock{f: f}, nil
}

// lockRecords takes an exclusive flock on the records' file f itself, so
// that a writer whose lock file was removed (by a clean-up that took it
// for a stale one) still keeps others out of the file it writes. It is
// released when f is closed.
func lockRecords(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errRecordsLocked
		case !errors.Is(err, syscall.EINTR):
			return err
		}
	}
}

// unlock releases the lock (closing the descriptor releases it).
func (l *fileLock) unlock() error {
	return l.f.Close()
}

// locksAcrossProcesses: see export_internal_test.go.
const locksAcrossProcesses = true

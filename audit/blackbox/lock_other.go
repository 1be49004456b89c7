//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package blackbox

import (
	"os"
	"path/filepath"
	"sync"
)

// heldPaths are the black boxes this process holds. Platforms without
// flock(2) (Windows, Plan 9, wasm, Solaris, AIX) get this in-process lock
// only: a second black box of the same process on the same path is refused,
// a second process is not detected. It is the one package-level mutable
// state of the package, because a lock between black boxes must outlive
// each of them.
var heldPaths sync.Map

// fileLock holds a path in heldPaths, and creates the lock file so that
// the files a black box leaves are the same on every platform.
type fileLock struct {
	key string
}

func acquireLock(path string) (*fileLock, error) {
	key, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, loaded := heldPaths.LoadOrStore(key, struct{}{}); loaded {
		return nil, &LockError{Path: path}
	}
	f, err := os.OpenFile(path+lockSuffix, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		heldPaths.Delete(key)
		return nil, err
	}
	f.Close()
	return &fileLock{key: key}, nil
}

func (l *fileLock) unlock() error {
	heldPaths.Delete(l.key)
	return nil
}

// lockRecords locks nothing here: the in-process lock is by path.
func lockRecords(*os.File) error { return nil }

const locksAcrossProcesses = false

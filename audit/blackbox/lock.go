package blackbox

import (
	"errors"
	"fmt"
)

// ErrLocked is returned by [Open] when another writer — a black box
// of this process or of another one — holds the file. Use errors.Is; use
// errors.As with *LockError for the path.
var ErrLocked = errors.New("blackbox: held by another writer")

// LockError is a black box that another writer holds.
type LockError struct {
	// Path is the black box's path; the lock is taken on Path + ".lock".
	Path string
}

// Error implements error.
func (e *LockError) Error() string {
	return fmt.Sprintf("blackbox: %s is held by another writer (lock %s.lock)", e.Path, e.Path)
}

// Unwrap returns ErrLocked.
func (e *LockError) Unwrap() error { return ErrLocked }

// lockSuffix names the lock file of a black box. The lock is not taken on
// the records' file itself because rotation renames that file: a writer
// that opened the old name would lock a file that is no longer the black
// box. The lock file is never removed (removing it would let two writers
// lock two different files under one name).
const lockSuffix = ".lock"

// errRecordsLocked is a records' file that another writer holds although
// its lock file was free: the lock file was removed under that writer.
var errRecordsLocked = errors.New("blackbox: records file held by another writer")

package blackbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sqlvigil/sqlvigil/audit"
)

// SyncPolicy says when a [Writer] backed by a file asks the operating
// system to flush its records to stable storage (fsync).
//
// Whatever the policy, each record is handed to the operating system in a
// single write call before the statement's record ends, so a crash of the
// process loses no record that was written. The policy decides what a crash
// of the machine (power loss, kernel panic) may lose.
type SyncPolicy uint8

// Sync policies.
const (
	// SyncPeriodic, the zero value, flushes at most SyncInterval (default
	// one second) after a record is written: a machine crash loses at most
	// that window. Statements do not wait for the disk, except the one
	// whose write finds the interval elapsed.
	SyncPeriodic SyncPolicy = iota
	// SyncEveryRecord flushes after every record: nothing acknowledged is
	// lost, at the cost of one fsync (typically 0.1–10 ms) per statement.
	SyncEveryRecord
	// SyncNever leaves flushing to the operating system and to Close.
	SyncNever
)

// Config configures a [Writer]. The zero value is usable.
type Config struct {
	// Sync is the fsync policy (file-backed black boxes only).
	Sync SyncPolicy
	// SyncInterval bounds the unflushed window of SyncPeriodic; zero means
	// one second.
	SyncInterval time.Duration
	// Key, when set, makes each link an HMAC-SHA-256 under Key instead of a
	// plain SHA-256: without the key, whoever can edit the file cannot
	// recompute a valid chain. Verify with the same key.
	Key []byte
	// Prev is the hash the first record of a new chain links to, when a
	// chain is continued by hand from another file. Empty means 64 zeros.
	// Rotation ([Config.MaxBytes]) links files by itself.
	Prev string
	// MaxBytes, when positive, rotates a black box opened with
	// [Open] once its file holds at least MaxBytes bytes: the file
	// is sealed and renamed PATH.NNNNNNNNNNNNNNNNNNNN (the sequence number
	// of its first record, 20 digits, so that names sort in chain order)
	// and a new file is begun at PATH, whose first record (kind "rotate")
	// continues the chain: its link is the seal's hash.
	MaxBytes int64
	// MaxAge, when positive, rotates likewise once the file's first record
	// is MaxAge old. Rotation happens when a record is written, never on a
	// timer.
	MaxAge time.Duration
}

// Kinds of the records a [Writer] adds to the chain itself, beside the
// auditor's ([audit.KindStatement], [audit.KindTx], [audit.KindIntent]).
const (
	// KindSeal is written by [Writer.Close]: a black box whose last entry
	// is a seal was closed cleanly.
	KindSeal = "seal"
	// KindRotate begins each file after the first of a rotating black box
	// ([Config.MaxBytes], [Config.MaxAge]): its sequence
	// number and link continue the previous file's chain.
	KindRotate = "rotate"
	// KindCut is written by [Open] when it cut a torn last line (a
	// write cut short by a crash) of CutBytes bytes off the file.
	KindCut = "cut"
)

// zeroHash is the link of the first record of a chain.
const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Writer is an [audit.Sink] that writes records as JSON lines, each chained to
// the one before it by a SHA-256 hash, so that [Verify] detects a record
// edited, removed, inserted or moved, and — with an anchor or a seal — a
// file cut short.
//
// Each line is a JSON object whose "seq" counts records from 1, whose
// "prev" is the hash of the previous line and whose last member is "hash":
// the lowercase hex SHA-256 (or HMAC-SHA-256, see [Config.Key]) of
// the line's bytes up to, and without, the final `,"hash":"…"}`, followed
// by "}". Any JSON reader can read the file; only the hash needs the exact
// bytes.
//
// A Writer is safe for concurrent use; records are written in the order
// their statements end.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	f      *os.File  // nil unless file-backed
	path   string    // f's path
	lock   *fileLock // held while f is open
	size   int64     // bytes of f that hold whole records
	cfg    Config
	key    []byte
	seq    uint64
	head   string
	buf    bytes.Buffer
	h      hash.Hash
	dirty  bool
	synced time.Time
	timer  *time.Timer
	closed bool
	// torn is set when part of a record may have been written and could
	// not be taken back: nothing more is written after it (see
	// ErrTornWrite) until the file is cut back to size.
	torn bool
	// syncErr is a failed fsync of the timer's, not yet reported: records
	// acknowledged before it may be lost, and the next write says so.
	syncErr error

	// Rotation state.
	fileSeq    uint64    // sequence number of f's first record (0: none yet)
	fileTime   time.Time // time of f's first record
	lastKind   string    // kind of the last record written
	needLink   bool      // f is new and its rotate record is not written yet
	rotateSize int64     // size at which f is due (after a failed rotation, later)
}

// New returns a black box writing a new chain to w. w should take
// each Write call in one piece (an *os.File opened for appending does).
// It neither locks nor rotates: see [Open].
func New(w io.Writer, cfg Config) *Writer {
	b := &Writer{w: w, cfg: cfg, head: cfg.Prev}
	if b.head == "" {
		b.head = zeroHash
	}
	b.init()
	return b
}

// Open opens (creating it with mode 0600 if needed) the black box
// file at path for appending.
//
// One writer at a time: Open takes an exclusive lock on
// path + ".lock" (flock(2) on Linux, macOS and the BSDs, released by the
// kernel when the process ends; elsewhere a lock within this process only)
// and, with flock, on the file itself, so that removing the lock file does
// not let a second writer in; a second writer, of this process or of
// another, gets an error matching [ErrLocked] (a *LockError). Close
// releases both.
//
// An existing file is verified first and its chain continued; a file that
// fails verification is not extended: the error matches [ErrTampered]. A
// last line that is not a whole record — what a crash during a write
// leaves ([ErrTornTail]) — is cut off, and a record of kind "cut" saying
// how many bytes were cut is chained like any other, so that the cut is
// itself on the record. An empty file whose rotated predecessors
// (path.NNN…, see [Config.MaxBytes]) exist continues their chain.
func Open(path string, cfg Config) (*Writer, error) {
	lock, err := acquireLock(path)
	if err != nil {
		var le *LockError
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, fmt.Errorf("blackbox: %s: lock: %w", path, err)
	}
	b, err := openLocked(path, cfg)
	if err != nil {
		_ = lock.unlock()
		return nil, err
	}
	b.lock = lock
	return b, nil
}

// openLocked opens the black box at path, whose lock is held.
func openLocked(path string, cfg Config) (_ *Writer, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("blackbox: %w", err)
	}
	if err := lockRecords(f); err != nil {
		f.Close()
		if errors.Is(err, errRecordsLocked) {
			return nil, &LockError{Path: path}
		}
		return nil, fmt.Errorf("blackbox: %s: lock: %w", path, err)
	}
	fail := func(err error) (*Writer, error) {
		f.Close()
		return nil, fmt.Errorf("blackbox: %s: %w", path, err)
	}
	var first time.Time
	var lastKind string
	rep, err := VerifyConfig{Key: cfg.Key, Prev: cfg.Prev}.ReadEntries(f, func(e *audit.Entry) error {
		if first.IsZero() {
			first = e.Time
		}
		lastKind = e.Kind
		return nil
	})
	var torn *TornTailError
	if err != nil && !errors.As(err, &torn) {
		return fail(err)
	}
	b := &Writer{w: f, f: f, path: path, cfg: cfg}
	b.init()
	defer func() {
		if err != nil && b.timer != nil {
			b.timer.Stop() // armed by a record written before the failure
		}
	}()
	if rep.Records > 0 {
		b.seq, b.head = rep.LastSeq, rep.Head
		b.fileSeq, b.fileTime, b.lastKind = rep.FirstSeq, first, lastKind
	} else {
		seq, head, err := lastRotated(path, cfg)
		if err != nil {
			return fail(err)
		}
		b.seq, b.head, b.needLink = seq, head, seq > 0
		if b.head == "" {
			b.head = cfg.Prev
			if b.head == "" {
				b.head = zeroHash
			}
		}
	}
	if torn != nil {
		if err := f.Truncate(torn.Offset); err != nil {
			return fail(fmt.Errorf("cut torn tail: %w", err))
		}
		b.size = torn.Offset
	} else {
		st, err := f.Stat()
		if err != nil {
			return fail(err)
		}
		b.size = st.Size()
	}
	if err := b.link(time.Now().UTC()); err != nil {
		return fail(err)
	}
	if torn != nil {
		cut := &audit.Entry{Kind: KindCut, ID: "cut", Time: time.Now().UTC(), CutBytes: torn.Bytes, RowsAffected: -1}
		if err := b.write(cut); err != nil {
			return fail(err)
		}
		if err := b.syncLocked(); err != nil {
			return fail(err)
		}
	}
	return b, nil
}

func (b *Writer) init() {
	if b.cfg.SyncInterval <= 0 {
		b.cfg.SyncInterval = time.Second
	}
	b.key = b.cfg.Key
	b.h = newHash(b.key)
	b.synced = time.Now()
	b.rotateSize = b.cfg.MaxBytes
}

func newHash(key []byte) hash.Hash {
	if len(key) > 0 {
		return hmac.New(sha256.New, key)
	}
	return sha256.New()
}

// ErrClosed is returned by a [Writer] written to after Close.
var ErrClosed = errors.New("blackbox: closed")

// ErrTornWrite is returned by a [Writer] whose earlier write failed part
// way and could not be taken back: a record written after the fragment
// would bury it in the middle of the chain, where [Verify] could only call
// it tampering. A file-backed Writer cuts the fragment off at its next
// write and goes on if it can; one made by [New] on another io.Writer
// refuses every record from then on, and what it wrote ends in a torn
// tail ([ErrTornTail]) after the records that verify. Use errors.Is.
var ErrTornWrite = errors.New("blackbox: an earlier record was torn and could not be taken back")

// Write implements [audit.Sink]: it appends e to the chain.
func (b *Writer) Write(_ context.Context, e *audit.Entry) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.append(e)
}

// append writes e, after rotating the file if it is due.
func (b *Writer) append(e *audit.Entry) error {
	if b.closed {
		return ErrClosed
	}
	var rerr error
	if b.due(e.Time) {
		// A failed rotation does not lose the record: it goes to the
		// current file, and the next attempt waits for another MaxBytes or
		// MaxAge. The error is still returned, so that it is seen.
		if rerr = b.rotate(e.Time); rerr != nil {
			b.rotateSize = b.size + b.cfg.MaxBytes
			b.fileTime = e.Time
		}
	}
	if err := b.link(e.Time); err != nil {
		return errors.Join(rerr, b.takeSyncErr(), err)
	}
	return errors.Join(rerr, b.takeSyncErr(), b.write(e))
}

// due reports whether the file is to be rotated before a record of time
// now is written. A file holding nothing but its rotate record is not.
func (b *Writer) due(now time.Time) bool {
	if b.f == nil || b.path == "" || b.fileSeq == 0 || b.lastKind == KindRotate && b.fileSeq == b.seq {
		return false
	}
	return b.cfg.MaxBytes > 0 && b.size >= b.rotateSize ||
		b.cfg.MaxAge > 0 && !b.fileTime.IsZero() && now.Sub(b.fileTime) >= b.cfg.MaxAge
}

// rotatedName is the name a rotated file of the black box at path takes:
// the sequence number of its first record, fixed width, sorts in order.
func rotatedName(path string, firstSeq uint64) string {
	return fmt.Sprintf("%s.%020d", path, firstSeq)
}

// rotate seals the file, renames it and begins a new one at b.path.
func (b *Writer) rotate(now time.Time) error {
	if b.lastKind != KindSeal {
		if err := b.write(&audit.Entry{Kind: KindSeal, ID: "seal", Time: now.UTC(), Records: b.seq, RowsAffected: -1}); err != nil {
			return err
		}
	}
	if err := b.syncLocked(); err != nil {
		return err
	}
	name := rotatedName(b.path, b.fileSeq)
	if _, err := os.Lstat(name); err == nil {
		return fmt.Errorf("blackbox: rotate: %s exists", name)
	}
	// The file is closed before it is renamed: Windows renames no open
	// file. The lock, on another file, still keeps other writers out.
	if err := b.f.Close(); err != nil {
		return b.reopen(fmt.Errorf("blackbox: rotate: close: %w", err))
	}
	if err := os.Rename(b.path, name); err != nil {
		return b.reopen(fmt.Errorf("blackbox: rotate: %w", err))
	}
	f, err := os.OpenFile(b.path, os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err == nil {
		if err = lockRecords(f); err != nil {
			f.Close()
			_ = os.Remove(b.path)
		}
	}
	if err != nil {
		_ = os.Rename(name, b.path)
		return b.reopen(fmt.Errorf("blackbox: rotate: %w", err))
	}
	syncDir(filepath.Dir(b.path))
	b.f, b.w, b.size = f, f, 0
	b.fileSeq, b.fileTime, b.needLink = 0, time.Time{}, true
	b.rotateSize = b.cfg.MaxBytes
	return nil
}

// reopen opens the current file again after a rotation failed with err,
// and returns err (joined with reopen's own failure, after which writes
// fail until a rotation succeeds).
func (b *Writer) reopen(err error) error {
	f, oerr := os.OpenFile(b.path, os.O_RDWR|os.O_APPEND, 0o600)
	if oerr == nil {
		if oerr = lockRecords(f); oerr != nil {
			f.Close()
		}
	}
	if oerr != nil {
		return errors.Join(err, fmt.Errorf("blackbox: reopen: %w", oerr))
	}
	b.f, b.w = f, f
	return err
}

// syncDir flushes a directory's entries (a rename) where the system
// allows it; where it does not, the rename is as durable as the system
// makes it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// link writes the rotate record that begins a new file, if it is due.
func (b *Writer) link(now time.Time) error {
	if !b.needLink {
		return nil
	}
	if err := b.write(&audit.Entry{Kind: KindRotate, ID: "rotate", Time: now.UTC(), RowsAffected: -1}); err != nil {
		return err
	}
	b.needLink = false
	return nil
}

// write appends e to the current file, chained to the last record.
func (b *Writer) write(e *audit.Entry) error {
	line := *e
	line.Seq = b.seq + 1
	line.Prev = b.head
	line.Hash = ""
	b.buf.Reset()
	enc := json.NewEncoder(&b.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&line); err != nil {
		return fmt.Errorf("blackbox: encode: %w", err)
	}
	body := bytes.TrimSuffix(b.buf.Bytes(), []byte("\n"))
	// body ends with "}"; hash everything before it.
	b.h.Reset()
	b.h.Write(body[:len(body)-1])
	var sum [sha256.Size]byte
	digest := hex.EncodeToString(b.h.Sum(sum[:0]))
	b.buf.Truncate(len(body) - 1)
	b.buf.WriteString(`,"hash":"`)
	b.buf.WriteString(digest)
	b.buf.WriteString("\"}\n")
	if b.torn {
		if b.f == nil || b.f.Truncate(b.size) != nil {
			return ErrTornWrite
		}
		b.torn = false
	}
	if n, err := b.w.Write(b.buf.Bytes()); err != nil {
		// The chain does not advance: the next record links to the last
		// one that was written. A partly written line is cut off, so that
		// a full disk does not look like tampering once space is back;
		// one that cannot be cut off stops the writer (ErrTornWrite).
		switch {
		case b.f != nil:
			b.torn = b.f.Truncate(b.size) != nil
		case n > 0:
			b.torn = true
		}
		return fmt.Errorf("blackbox: write: %w", err)
	}
	b.size += int64(b.buf.Len())
	b.seq = line.Seq
	b.head = digest
	b.lastKind = line.Kind
	if b.fileSeq == 0 {
		b.fileSeq, b.fileTime = line.Seq, line.Time
	}
	return b.maybeSync()
}

func (b *Writer) maybeSync() error {
	if b.f == nil {
		return nil
	}
	switch b.cfg.Sync {
	case SyncEveryRecord:
		return b.syncLocked()
	case SyncPeriodic:
		if time.Since(b.synced) >= b.cfg.SyncInterval {
			return b.syncLocked()
		}
		b.dirty = true
		if b.timer == nil {
			b.timer = time.AfterFunc(b.cfg.SyncInterval, b.timedSync)
		}
	}
	return nil
}

func (b *Writer) timedSync() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer = nil
	if b.dirty && !b.closed {
		if err := b.syncLocked(); err != nil {
			// Nobody waits for this fsync: the next write, Sync or Close
			// reports it, even if a later fsync succeeds (the system may
			// have dropped the pages it could not write).
			b.syncErr = err
		}
	}
}

// takeSyncErr returns the timer's unreported fsync failure, once.
func (b *Writer) takeSyncErr() error {
	err := b.syncErr
	b.syncErr = nil
	return err
}

func (b *Writer) syncLocked() error {
	b.dirty = false
	b.synced = time.Now()
	if err := b.f.Sync(); err != nil {
		return fmt.Errorf("blackbox: fsync: %w", err)
	}
	return nil
}

// Sync flushes the file to stable storage now.
func (b *Writer) Sync() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil || b.closed {
		return nil
	}
	return errors.Join(b.takeSyncErr(), b.syncLocked())
}

// Head returns the sequence number and hash of the last record written.
// Keeping them elsewhere (another system's log, a ticket) makes them an
// anchor: [VerifyConfig.Anchors] then detects a file cut short before it.
func (b *Writer) Head() (seq uint64, hash string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seq, b.head
}

// Close writes a seal record (kind "seal", counting the records of the
// chain), flushes it to stable storage and closes the file, if the black
// box owns one. A chain whose last record is not a seal was not closed
// cleanly — or was cut short: see [Report.Sealed].
func (b *Writer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	err := b.link(time.Now().UTC())
	if err == nil {
		err = b.write(&audit.Entry{Kind: KindSeal, ID: "seal", Time: time.Now().UTC(), Records: b.seq, RowsAffected: -1})
	}
	if serr := b.takeSyncErr(); serr != nil {
		err = errors.Join(serr, err)
	}
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if b.f != nil {
		if serr := b.f.Sync(); serr != nil && err == nil {
			err = fmt.Errorf("blackbox: fsync: %w", serr)
		}
		if cerr := b.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("blackbox: close: %w", cerr)
		}
	}
	if b.lock != nil {
		if lerr := b.lock.unlock(); lerr != nil && err == nil {
			err = fmt.Errorf("blackbox: unlock: %w", lerr)
		}
		b.lock = nil
	}
	return err
}

// ErrTampered is returned by [Verify] for a black box whose chain is
// broken. Use errors.Is; use errors.As with *TamperError for where and how.
var ErrTampered = errors.New("blackbox: chain broken")

// Problems a [TamperError] reports.
const (
	ProblemMalformed   = "malformed record"             // not a chained JSON line
	ProblemHash        = "hash mismatch"                // the record was edited
	ProblemLink        = "broken link"                  // a record removed, inserted or moved before this one
	ProblemSequence    = "sequence out of order"        // a record removed, inserted or moved
	ProblemTruncated   = "chain ends before anchor"     // the file was cut short
	ProblemAnchor      = "anchor hash mismatch"         // the anchored record was replaced
	ProblemUnsealed    = "chain not sealed"             // the last record is not a seal
	ProblemMissingFile = "file missing before this one" // a rotated set lacks a file
	ProblemFileOrder   = "file out of order"            // a rotated set's files are not in chain order
)

// TamperError says where a black box's chain breaks.
type TamperError struct {
	// File is the file of a rotated set ([VerifyConfig.VerifyFiles]); empty
	// for a single reader.
	File string
	// Line is the 1-based line number; Seq the record's sequence number
	// when it could be read.
	Line    int
	Seq     uint64
	Problem string
}

// Error implements error.
func (e *TamperError) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.File != "" {
		where = e.File + " " + where
	}
	if e.Seq > 0 {
		return fmt.Sprintf("blackbox: chain broken at %s (seq %d): %s", where, e.Seq, e.Problem)
	}
	return fmt.Sprintf("blackbox: chain broken at %s: %s", where, e.Problem)
}

// Unwrap returns ErrTampered.
func (e *TamperError) Unwrap() error { return ErrTampered }

// ErrTornTail is returned by [Verify] for a black box whose last line is
// not a whole record: a write cut short by a crash of the process or of
// the machine. It is not [ErrTampered]: every record before it verifies.
// [Open] cuts such a tail and records the cut. Use errors.Is; use
// errors.As with *TornTailError for where.
var ErrTornTail = errors.New("blackbox: ends with a torn record")

// TornTailError says where a black box's torn last line starts.
type TornTailError struct {
	// File is the file of a rotated set; empty for a single reader.
	File string
	// Line is the torn line's 1-based number; Offset its first byte (the
	// length the file is cut to) and Bytes its length.
	Line   int
	Offset int64
	Bytes  int64
}

// Error implements error.
func (e *TornTailError) Error() string {
	f := ""
	if e.File != "" {
		f = e.File + " "
	}
	return fmt.Sprintf("blackbox: %sends with a torn record at line %d (%d bytes at offset %d): a write cut short by a crash; the records before it verify",
		f, e.Line, e.Bytes, e.Offset)
}

// Unwrap returns ErrTornTail.
func (e *TornTailError) Unwrap() error { return ErrTornTail }

// trimHash splits a line into the hashed bytes and the hash.
func trimHash(line []byte) (body []byte, digest string, ok bool) {
	const tail = 1 + sha256.Size*2 + 2 // `"` + 64 hex + `"}`
	const key = `,"hash":`
	if len(line) < len(key)+tail || !bytes.HasSuffix(line, []byte(`"}`)) {
		return nil, "", false
	}
	i := len(line) - tail
	if !bytes.Equal(line[i-len(key):i], []byte(key)) || line[i] != '"' {
		return nil, "", false
	}
	digest = string(line[i+1 : len(line)-2])
	if strings.ToLower(digest) != digest {
		return nil, "", false
	}
	if _, err := hex.DecodeString(digest); err != nil {
		return nil, "", false
	}
	return line[:i-len(key)], digest, true
}

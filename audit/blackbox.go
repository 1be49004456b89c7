package audit

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
	"strings"
	"sync"
	"time"
)

// SyncPolicy says when a [BlackBox] backed by a file asks the operating
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

// BlackBoxConfig configures a [BlackBox]. The zero value is usable.
type BlackBoxConfig struct {
	// Sync is the fsync policy (file-backed black boxes only).
	Sync SyncPolicy
	// SyncInterval bounds the unflushed window of SyncPeriodic; zero means
	// one second.
	SyncInterval time.Duration
	// Key, when set, makes each link an HMAC-SHA-256 under Key instead of a
	// plain SHA-256: without the key, whoever can edit the file cannot
	// recompute a valid chain. Verify with the same key.
	Key []byte
	// Prev is the hash the first record of a new chain links to: the head
	// of the previous file when rotating, so files chain to each other.
	// Empty means 64 zeros.
	Prev string
}

// zeroHash is the link of the first record of a chain.
const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// BlackBox is a [Sink] that writes records as JSON lines, each chained to
// the one before it by a SHA-256 hash, so that [Verify] detects a record
// edited, removed, inserted or moved, and — with an anchor or a seal — a
// file cut short.
//
// Each line is a JSON object whose "seq" counts records from 1, whose
// "prev" is the hash of the previous line and whose last member is "hash":
// the lowercase hex SHA-256 (or HMAC-SHA-256, see [BlackBoxConfig.Key]) of
// the line's bytes up to, and without, the final `,"hash":"…"}`, followed
// by "}". Any JSON reader can read the file; only the hash needs the exact
// bytes.
//
// A BlackBox is safe for concurrent use; records are written in the order
// their statements end.
type BlackBox struct {
	mu     sync.Mutex
	w      io.Writer
	f      *os.File // nil unless file-backed
	size   int64    // bytes of f that hold whole records
	cfg    BlackBoxConfig
	key    []byte
	seq    uint64
	head   string
	buf    bytes.Buffer
	h      hash.Hash
	dirty  bool
	synced time.Time
	timer  *time.Timer
	closed bool
}

// NewBlackBox returns a black box writing a new chain to w. w should take
// each Write call in one piece (an *os.File opened for appending does).
func NewBlackBox(w io.Writer, cfg BlackBoxConfig) *BlackBox {
	b := &BlackBox{w: w, cfg: cfg, head: cfg.Prev}
	if b.head == "" {
		b.head = zeroHash
	}
	b.init()
	return b
}

// OpenBlackBox opens (creating it with mode 0600 if needed) the file at
// path for appending. An existing file is verified first and its chain
// continued; a file that fails verification is not extended: the error
// matches [ErrTampered]. That includes a file whose last line was cut short
// by a machine crash during a write: keep it as evidence and start a new
// file, linked to the last good record with [BlackBoxConfig.Prev] (the Head
// of the [Report] that [VerifyConfig.Verify] returns with its error).
func OpenBlackBox(path string, cfg BlackBoxConfig) (*BlackBox, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: black box: %w", err)
	}
	rep, err := VerifyConfig{Key: cfg.Key, Prev: cfg.Prev}.Verify(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: black box %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: black box %s: %w", path, err)
	}
	b := &BlackBox{w: f, f: f, size: st.Size(), cfg: cfg, seq: rep.LastSeq, head: rep.Head}
	if b.head == "" {
		b.head = cfg.Prev
		if b.head == "" {
			b.head = zeroHash
		}
	}
	b.init()
	return b, nil
}

func (b *BlackBox) init() {
	if b.cfg.SyncInterval <= 0 {
		b.cfg.SyncInterval = time.Second
	}
	b.key = b.cfg.Key
	b.h = newHash(b.key)
	b.synced = time.Now()
}

func newHash(key []byte) hash.Hash {
	if len(key) > 0 {
		return hmac.New(sha256.New, key)
	}
	return sha256.New()
}

// ErrClosed is returned by a [BlackBox] written to after Close.
var ErrClosed = errors.New("audit: black box closed")

// Write implements [Sink]: it appends e to the chain.
func (b *BlackBox) Write(_ context.Context, e *Entry) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.append(e)
}

func (b *BlackBox) append(e *Entry) error {
	if b.closed {
		return ErrClosed
	}
	line := *e
	line.Seq = b.seq + 1
	line.Prev = b.head
	line.Hash = ""
	b.buf.Reset()
	enc := json.NewEncoder(&b.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&line); err != nil {
		return fmt.Errorf("audit: black box: encode: %w", err)
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
	if _, err := b.w.Write(b.buf.Bytes()); err != nil {
		// The chain does not advance: the next record links to the last
		// one that was written. A partly written line is cut off, so that
		// a full disk does not look like tampering once space is back.
		if b.f != nil {
			_ = b.f.Truncate(b.size)
		}
		return fmt.Errorf("audit: black box: write: %w", err)
	}
	b.size += int64(b.buf.Len())
	b.seq = line.Seq
	b.head = digest
	return b.maybeSync()
}

func (b *BlackBox) maybeSync() error {
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

func (b *BlackBox) timedSync() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer = nil
	if b.dirty && !b.closed {
		_ = b.syncLocked()
	}
}

func (b *BlackBox) syncLocked() error {
	b.dirty = false
	b.synced = time.Now()
	if err := b.f.Sync(); err != nil {
		return fmt.Errorf("audit: black box: fsync: %w", err)
	}
	return nil
}

// Sync flushes the file to stable storage now.
func (b *BlackBox) Sync() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.f == nil || b.closed {
		return nil
	}
	return b.syncLocked()
}

// Head returns the sequence number and hash of the last record written.
// Keeping them elsewhere (another system's log, a ticket) makes them an
// anchor: [VerifyConfig.Anchors] then detects a file cut short before it.
func (b *BlackBox) Head() (seq uint64, hash string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seq, b.head
}

// Close writes a seal record (kind "seal", counting the records of the
// chain), flushes it to stable storage and closes the file, if the black
// box owns one. A chain whose last record is not a seal was not closed
// cleanly — or was cut short: see [Report.Sealed].
func (b *BlackBox) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	err := b.append(&Entry{Kind: KindSeal, ID: "seal", Time: time.Now().UTC(), Records: b.seq, RowsAffected: -1})
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if b.f != nil {
		if serr := b.f.Sync(); serr != nil && err == nil {
			err = fmt.Errorf("audit: black box: fsync: %w", serr)
		}
		if cerr := b.f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("audit: black box: close: %w", cerr)
		}
	}
	return err
}

// ErrTampered is returned by [Verify] for a black box whose chain is
// broken. Use errors.Is; use errors.As with *TamperError for where and how.
var ErrTampered = errors.New("audit: black box chain broken")

// Problems a [TamperError] reports.
const (
	ProblemMalformed = "malformed record"         // not a chained JSON line
	ProblemHash      = "hash mismatch"            // the record was edited
	ProblemLink      = "broken link"              // a record removed, inserted or moved before this one
	ProblemSequence  = "sequence out of order"    // a record removed, inserted or moved
	ProblemTruncated = "chain ends before anchor" // the file was cut short
	ProblemAnchor    = "anchor hash mismatch"     // the anchored record was replaced
	ProblemUnsealed  = "chain not sealed"         // the last record is not a seal
	ProblemPartial   = "partial last record"      // the last line has no newline
)

// TamperError says where a black box's chain breaks.
type TamperError struct {
	// Line is the 1-based line number; Seq the record's sequence number
	// when it could be read.
	Line    int
	Seq     uint64
	Problem string
}

// Error implements error.
func (e *TamperError) Error() string {
	if e.Seq > 0 {
		return fmt.Sprintf("audit: black box chain broken at line %d (seq %d): %s", e.Line, e.Seq, e.Problem)
	}
	return fmt.Sprintf("audit: black box chain broken at line %d: %s", e.Line, e.Problem)
}

// Unwrap returns ErrTampered.
func (e *TamperError) Unwrap() error { return ErrTampered }

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

package audit

import (
	"bufio"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Anchor is a (sequence number, hash) pair of a black box kept outside it,
// as [BlackBox.Head] returns it.
type Anchor struct {
	Seq  uint64
	Hash string
}

// VerifyConfig configures [VerifyConfig.Verify]. The zero value verifies a
// plain SHA-256 chain starting from 64 zeros.
type VerifyConfig struct {
	// Key is the HMAC key the chain was written with, if any.
	Key []byte
	// Prev is the hash the first record links to ([BlackBoxConfig.Prev]).
	Prev string
	// Anchors are positions of the chain recorded elsewhere. A chain that
	// ends before an anchor was cut short; one whose record at an anchor
	// has another hash was rewritten from there on.
	Anchors []Anchor
	// RequireSeal makes a chain whose last record is not a seal (written
	// by [BlackBox.Close]) an error.
	RequireSeal bool
}

// Report describes a verified chain.
type Report struct {
	// Records is the number of records; FirstSeq and LastSeq their
	// sequence numbers (0 when there is none).
	Records  int
	FirstSeq uint64
	LastSeq  uint64
	// Head is the hash of the last record: an anchor to keep elsewhere.
	// With an error, it is the hash of the last record before the break.
	Head string
	// Sealed is true when the last record is a seal: the writer closed the
	// chain cleanly and nothing was cut off after it.
	Sealed bool
}

// Verify reads a black box from r and checks its chain with the zero
// [VerifyConfig]. See [VerifyConfig.Verify].
func Verify(r io.Reader) (Report, error) {
	return VerifyConfig{}.Verify(r)
}

// Verify reads a black box from r and checks every link of its chain. It
// returns an error matching [ErrTampered] (a *TamperError) at the first
// record that was edited (hash mismatch), or that follows a removed,
// inserted or moved record (broken link or sequence), or when the last line
// is incomplete.
//
// A chain can only vouch for what precedes its last record: removing
// records from the end leaves a valid, shorter chain. Such truncation is
// detected by anchors kept elsewhere ([VerifyConfig.Anchors], taken from
// [BlackBox.Head] or from a previous report's Head) and, for a file that was
// closed, by the missing seal ([Report.Sealed], [VerifyConfig.RequireSeal]).
func (c VerifyConfig) Verify(r io.Reader) (Report, error) {
	return c.read(r, nil)
}

// ReadEntries reads a black box from r, verifies its chain as [VerifyConfig.Verify]
// does and calls fn with each record in order. An error from fn stops the
// reading and is returned. fn sees records before the whole chain is
// verified: a TamperError returned at the end concerns records fn has seen.
func (c VerifyConfig) ReadEntries(r io.Reader, fn func(*Entry) error) (Report, error) {
	return c.read(r, fn)
}

func (c VerifyConfig) read(r io.Reader, fn func(*Entry) error) (Report, error) {
	var rep Report
	head := c.Prev
	if head == "" {
		head = zeroHash
	}
	anchors := make(map[uint64]string, len(c.Anchors))
	for _, a := range c.Anchors {
		anchors[a.Seq] = ""
	}
	h := newHash(c.Key)
	br := bufio.NewReaderSize(r, 64<<10)
	var lastKind string
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return rep, fmt.Errorf("audit: verify: read: %w", err)
		}
		if line[len(line)-1] != '\n' {
			return rep, &TamperError{Line: lineNo, Problem: ProblemPartial}
		}
		line = line[:len(line)-1]
		body, digest, ok := trimHash(line)
		if !ok {
			return rep, &TamperError{Line: lineNo, Problem: ProblemMalformed}
		}
		var e Entry
		full := append(body[:len(body):len(body)], '}')
		if err := json.Unmarshal(full, &e); err != nil || e.Seq == 0 {
			return rep, &TamperError{Line: lineNo, Problem: ProblemMalformed}
		}
		h.Reset()
		h.Write(body)
		want, _ := hex.DecodeString(digest)
		if !hmac.Equal(h.Sum(nil), want) {
			return rep, &TamperError{Line: lineNo, Seq: e.Seq, Problem: ProblemHash}
		}
		if e.Prev != head {
			return rep, &TamperError{Line: lineNo, Seq: e.Seq, Problem: ProblemLink}
		}
		if e.Seq != rep.LastSeq+1 {
			return rep, &TamperError{Line: lineNo, Seq: e.Seq, Problem: ProblemSequence}
		}
		if _, ok := anchors[e.Seq]; ok {
			anchors[e.Seq] = digest
		}
		if rep.Records == 0 {
			rep.FirstSeq = e.Seq
		}
		rep.Records++
		rep.LastSeq = e.Seq
		rep.Head = digest
		head = digest
		lastKind = e.Kind
		if fn != nil {
			e.Hash = digest
			if err := fn(&e); err != nil {
				return rep, err
			}
		}
	}
	rep.Sealed = lastKind == KindSeal
	for _, a := range c.Anchors {
		got := anchors[a.Seq]
		switch {
		case a.Seq > rep.LastSeq:
			return rep, &TamperError{Line: rep.Records + 1, Seq: a.Seq, Problem: ProblemTruncated}
		case got != a.Hash:
			return rep, &TamperError{Line: int(a.Seq), Seq: a.Seq, Problem: ProblemAnchor}
		}
	}
	if c.RequireSeal && !rep.Sealed {
		return rep, &TamperError{Line: rep.Records, Seq: rep.LastSeq, Problem: ProblemUnsealed}
	}
	return rep, nil
}

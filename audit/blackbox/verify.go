package blackbox

import (
	"bufio"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/sqlvigil/sqlvigil/audit"
)

// Anchor is a (sequence number, hash) pair of a black box kept outside it,
// as [Writer.Head] returns it.
type Anchor struct {
	Seq  uint64
	Hash string
}

// VerifyConfig configures [VerifyConfig.Verify]. The zero value verifies a
// plain SHA-256 chain starting from 64 zeros.
type VerifyConfig struct {
	// Key is the HMAC key the chain was written with, if any.
	Key []byte
	// Prev is the hash the first record links to ([Config.Prev]).
	Prev string
	// Anchors are positions of the chain recorded elsewhere. A chain that
	// ends before an anchor was cut short; one whose record at an anchor
	// has another hash was rewritten from there on.
	Anchors []Anchor
	// RequireSeal makes a chain whose last record is not a seal (written
	// by [Writer.Close]) an error.
	RequireSeal bool
}

// Report describes a verified chain.
type Report struct {
	// Records is the number of records; FirstSeq and LastSeq their
	// sequence numbers (0 when there is none).
	Records  int
	FirstSeq uint64
	LastSeq  uint64
	// Prev is the hash the first record links to: 64 zeros for a chain's
	// first file, the head of the previous file for a file that a rotation
	// began (its first record is a "rotate" record).
	Prev string
	// Head is the hash of the last record: an anchor to keep elsewhere.
	// With an error, it is the hash of the last record before the break.
	Head string
	// Sealed is true when the last record is a seal: the writer closed the
	// chain cleanly and nothing was cut off after it.
	Sealed bool
	// Cuts counts the "cut" records: torn tails that [Open] cut
	// after a crash, CutBytes their total length.
	Cuts     int
	CutBytes int64
	// Files is the number of files of a rotated set ([VerifyConfig.VerifyFiles]).
	Files int
}

// Verify reads a black box from r and checks its chain with the zero
// [VerifyConfig]. See [VerifyConfig.Verify].
func Verify(r io.Reader) (Report, error) {
	return VerifyConfig{}.Verify(r)
}

// Verify reads a black box from r and checks every link of its chain. It
// returns an error matching [ErrTampered] (a *TamperError) at the first
// record that was edited (hash mismatch), or that follows a removed,
// inserted or moved record (broken link or sequence).
//
// A last line that is not a whole record — no final newline, or not a
// chained JSON object — is what a crash during a write leaves: Verify
// returns an error matching [ErrTornTail] (a *TornTailError), not
// ErrTampered, with the Report of the records before it. A crash leaves a
// prefix, though: a last line that ends in its whole hash but is not the
// record that hash seals was edited, and is ErrTampered. [Open]
// cuts such a tail and records the cut in the chain.
//
// A file that a rotation began starts with a "rotate" record, whose
// sequence number and link continue the previous file: Verify accepts it
// (see [Report.Prev]); [VerifyConfig.VerifyFiles] checks the link.
//
// A chain can only vouch for what precedes its last record: removing
// records from the end leaves a valid, shorter chain. Such truncation is
// detected by anchors kept elsewhere ([VerifyConfig.Anchors], taken from
// [Writer.Head] or from a previous report's Head) and, for a file that was
// closed, by the missing seal ([Report.Sealed], [VerifyConfig.RequireSeal]).
func (c VerifyConfig) Verify(r io.Reader) (Report, error) {
	return c.read(r, nil)
}

// ReadEntries reads a black box from r, verifies its chain as [VerifyConfig.Verify]
// does and calls fn with each record in order. An error from fn stops the
// reading and is returned. fn sees records before the whole chain is
// verified: a TamperError returned at the end concerns records fn has seen.
func (c VerifyConfig) ReadEntries(r io.Reader, fn func(*audit.Entry) error) (Report, error) {
	return c.read(r, fn)
}

// chainState is where a chain stands: the last sequence number and hash.
type chainState struct {
	seq  uint64
	head string
	// known is true when the state was read from the previous file of a
	// set: the first record must continue it.
	known bool
}

func (c VerifyConfig) read(r io.Reader, fn func(*audit.Entry) error) (Report, error) {
	return c.readFrom(r, chainState{}, fn)
}

// readFrom verifies a chain read from r; from is the state a previous file
// of a rotated set left.
func (c VerifyConfig) readFrom(r io.Reader, from chainState, fn func(*audit.Entry) error) (Report, error) {
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
	var offset int64
	var torn *TornTailError
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return rep, fmt.Errorf("blackbox: verify: read: %w", err)
		}
		start := offset
		offset += int64(len(line))
		e, body, digest, ok := parseLine(line)
		if !ok {
			if (line[len(line)-1] != '\n' || atEOF(br)) && !sealedButEdited(line, h) {
				// The last line, cut short or garbled: a crash during a
				// write, not an edit (an edit would keep the line's form).
				torn = &TornTailError{Line: lineNo, Offset: start, Bytes: int64(len(line))}
				break
			}
			return rep, &TamperError{Line: lineNo, Problem: ProblemMalformed}
		}
		h.Reset()
		h.Write(body)
		want, _ := hex.DecodeString(digest)
		if !hmac.Equal(h.Sum(nil), want) {
			return rep, &TamperError{Line: lineNo, Seq: e.Seq, Problem: ProblemHash}
		}
		if rep.Records == 0 {
			switch {
			case from.known:
				if p := continuity(from, &e); p != "" {
					return rep, &TamperError{Line: lineNo, Seq: e.Seq, Problem: p}
				}
				head, rep.LastSeq = from.head, from.seq
			case e.Kind == KindRotate && e.Seq > 1 && (c.Prev == "" || e.Prev == c.Prev):
				// The first file of the set is not here: take its head on
				// trust (VerifyFiles checks it when it is given).
				head, rep.LastSeq = e.Prev, e.Seq-1
			}
			rep.Prev = head
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
		if e.Kind == KindCut {
			rep.Cuts++
			rep.CutBytes += e.CutBytes
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
	rep.Sealed = lastKind == KindSeal && torn == nil
	for _, a := range c.Anchors {
		got := anchors[a.Seq]
		switch {
		case a.Seq > rep.LastSeq:
			return rep, &TamperError{Line: rep.Records + 1, Seq: a.Seq, Problem: ProblemTruncated}
		case got != a.Hash:
			return rep, &TamperError{Line: int(a.Seq), Seq: a.Seq, Problem: ProblemAnchor}
		}
	}
	if torn != nil {
		return rep, torn
	}
	if c.RequireSeal && !rep.Sealed {
		return rep, &TamperError{Line: rep.Records, Seq: rep.LastSeq, Problem: ProblemUnsealed}
	}
	return rep, nil
}

// continuity returns the problem of a file whose first record e does not
// continue the previous file of its set, or "".
func continuity(from chainState, e *audit.Entry) string {
	switch {
	case e.Seq > from.seq+1:
		return ProblemMissingFile
	case e.Seq <= from.seq:
		return ProblemFileOrder
	case e.Prev != from.head:
		return ProblemLink
	}
	return ""
}

// parseLine reads one line of a black box: the record, the hashed bytes and
// the hash. ok is false for a line that is not a whole chained record.
func parseLine(line []byte) (e audit.Entry, body []byte, digest string, ok bool) {
	if line[len(line)-1] != '\n' {
		return e, nil, "", false
	}
	body, digest, ok = trimHash(line[:len(line)-1])
	if !ok {
		return e, nil, "", false
	}
	full := append(body[:len(body):len(body)], '}')
	if err := json.Unmarshal(full, &e); err != nil || e.Seq == 0 {
		return e, nil, "", false
	}
	return e, body, digest, true
}

// sealedButEdited reports whether line, which parseLine refused, ends in
// the whole hash a record ends with and yet is not the record that hash
// seals. A crash leaves a prefix of a record: one that reaches the end of
// its hash is the whole record, less at most its newline, and verifies
// with h. Anything else that ends in a hash was edited — a byte deleted,
// a quote removed — and must not pass for a torn write that Open may cut.
func sealedButEdited(line []byte, h hash.Hash) bool {
	whole := line[len(line)-1] == '\n'
	if whole {
		line = line[:len(line)-1]
	}
	body, digest, ok := trimHash(line)
	if !ok {
		return false
	}
	if whole {
		return true // parseLine refused a line with its newline and hash
	}
	var e audit.Entry
	full := append(body[:len(body):len(body)], '}')
	if err := json.Unmarshal(full, &e); err != nil || e.Seq == 0 {
		return true
	}
	h.Reset()
	h.Write(body)
	want, _ := hex.DecodeString(digest)
	return !hmac.Equal(h.Sum(nil), want)
}

// atEOF reports whether br has nothing more to read.
func atEOF(br *bufio.Reader) bool {
	_, err := br.Peek(1)
	return err != nil
}

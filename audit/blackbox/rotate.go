package blackbox

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sqlvigil/sqlvigil/audit"
)

// rotatedSuffixLen is the length of a rotated file's suffix: a dot and the
// 20-digit sequence number of its first record.
const rotatedSuffixLen = 1 + 20

// Files returns the files of the rotating black box at path in
// chain order: its rotated files (path.NNN…, oldest first), then path
// itself if it exists. Pass them to [VerifyConfig.VerifyFiles].
func Files(path string) ([]string, error) {
	names, err := rotatedFiles(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err == nil {
		names = append(names, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("blackbox: files: %w", err)
	}
	return names, nil
}

// rotatedFiles returns the rotated files of the black box at path, oldest
// first.
func rotatedFiles(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("blackbox: files: %w", err)
	}
	var names []string
	for _, de := range ents {
		n := de.Name()
		if len(n) != len(base)+rotatedSuffixLen || !strings.HasPrefix(n, base+".") || !de.Type().IsRegular() {
			continue
		}
		if strings.Trim(n[len(base)+1:], "0123456789") == "" {
			names = append(names, filepath.Join(dir, n))
		}
	}
	slices.Sort(names) // fixed width: the order of the sequence numbers
	return names, nil
}

// lastRotated returns the last sequence number and head of the newest
// rotated file of the black box at path, or zero values when it has none.
func lastRotated(path string, cfg Config) (uint64, string, error) {
	names, err := rotatedFiles(path)
	if err != nil || len(names) == 0 {
		return 0, "", err
	}
	last := names[len(names)-1]
	f, err := os.Open(last)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	rep, err := VerifyConfig{Key: cfg.Key, Prev: cfg.Prev}.Verify(f)
	if err != nil {
		return 0, "", fmt.Errorf("previous file %s: %w", last, err)
	}
	return rep.LastSeq, rep.Head, nil
}

// VerifyFiles verifies a rotated set of black box files, given in chain
// order (as [Files] lists them): each file's chain as
// [VerifyConfig.Verify] checks it, and that each file after the first
// begins where the one before it ended — a file missing from the middle
// of the set is ProblemMissingFile, files out of order ProblemFileOrder, a
// file that links elsewhere ProblemLink; the error's File names the file.
// The report sums the files' records; Prev is the first file's link (not
// 64 zeros when older files were removed), Sealed the last file's.
//
// Anchors and RequireSeal apply to the set as a whole. The newest files of
// a set can be removed without a trace but for anchors kept elsewhere.
func (c VerifyConfig) VerifyFiles(names []string) (Report, error) {
	var total Report
	var from chainState
	set := c
	set.Anchors, set.RequireSeal = nil, false
	anchors := make(map[uint64]string, len(c.Anchors))
	for _, a := range c.Anchors {
		anchors[a.Seq] = ""
	}
	var where map[uint64]string
	for i, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return total, fmt.Errorf("blackbox: verify: %w", err)
		}
		rep, err := set.readFrom(f, from, func(e *audit.Entry) error {
			if _, ok := anchors[e.Seq]; ok {
				anchors[e.Seq] = e.Hash
				if where == nil {
					where = make(map[uint64]string)
				}
				where[e.Seq] = name
			}
			return nil
		})
		f.Close()
		total.add(rep, i == 0)
		if err != nil {
			var te *TamperError
			var tt *TornTailError
			switch {
			case errors.As(err, &te):
				te.File = name
			case errors.As(err, &tt):
				tt.File = name
			}
			return total, err
		}
		if rep.Records > 0 {
			from = chainState{seq: rep.LastSeq, head: rep.Head, known: true}
		}
	}
	for _, a := range c.Anchors {
		switch {
		case a.Seq > total.LastSeq:
			return total, &TamperError{Seq: a.Seq, Problem: ProblemTruncated}
		case anchors[a.Seq] != a.Hash:
			return total, &TamperError{File: where[a.Seq], Seq: a.Seq, Problem: ProblemAnchor}
		}
	}
	if c.RequireSeal && !total.Sealed {
		return total, &TamperError{Seq: total.LastSeq, Problem: ProblemUnsealed}
	}
	return total, nil
}

// add adds the report of the next file of a set.
func (r *Report) add(f Report, first bool) {
	r.Files++
	if first {
		r.Prev, r.FirstSeq = f.Prev, f.FirstSeq
	}
	if f.Records == 0 {
		return
	}
	if r.FirstSeq == 0 {
		r.FirstSeq = f.FirstSeq
	}
	r.Records += f.Records
	r.LastSeq, r.Head, r.Sealed = f.LastSeq, f.Head, f.Sealed
	r.Cuts += f.Cuts
	r.CutBytes += f.CutBytes
}

// VerifyDir verifies the rotated set of black box files in dir, which
// should hold the files of one black box: every non-empty regular file
// whose name does not start with "." or end in ".lock", in the order of
// their first records' sequence numbers. See [VerifyConfig.VerifyFiles].
func (c VerifyConfig) VerifyDir(dir string) (Report, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return Report{}, fmt.Errorf("blackbox: verify: %w", err)
	}
	type file struct {
		name string
		seq  uint64
	}
	var files []file
	for _, de := range ents {
		n := de.Name()
		if !de.Type().IsRegular() || strings.HasPrefix(n, ".") || strings.HasSuffix(n, lockSuffix) {
			continue
		}
		path := filepath.Join(dir, n)
		seq, ok, err := firstSeq(path)
		if err != nil {
			return Report{}, err
		}
		if ok {
			files = append(files, file{path, seq})
		}
	}
	slices.SortStableFunc(files, func(x, y file) int {
		if x.seq != y.seq {
			if x.seq < y.seq {
				return -1
			}
			return 1
		}
		return strings.Compare(x.name, y.name)
	})
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	return c.VerifyFiles(names)
}

// firstSeq reads the sequence number of a file's first record; ok is false
// for an empty file. A first line that cannot be read sorts first, where
// verification reports it.
func firstSeq(path string) (seq uint64, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, fmt.Errorf("blackbox: verify: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 64<<10).ReadBytes('\n')
	if len(line) == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, false, fmt.Errorf("blackbox: verify: %w", err)
		}
		return 0, false, nil
	}
	e, _, _, parsed := parseLine(line)
	if !parsed {
		return 0, true, nil
	}
	return e.Seq, true, nil
}

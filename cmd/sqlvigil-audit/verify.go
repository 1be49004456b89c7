package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sqlvigil/sqlvigil/audit/blackbox"
)

// anchors is a repeatable -anchor SEQ:HASH flag.
type anchors []blackbox.Anchor

func (a *anchors) String() string { return fmt.Sprint(*a) }

func (a *anchors) Set(s string) error {
	seq, hash, ok := strings.Cut(s, ":")
	n, err := strconv.ParseUint(seq, 10, 64)
	if !ok || err != nil || n == 0 || len(hash) != 64 {
		return errors.New("want SEQ:HASH, a sequence number and a 64-digit hex hash")
	}
	*a = append(*a, blackbox.Anchor{Seq: n, Hash: strings.ToLower(hash)})
	return nil
}

// chainFlags are the flags verify and replay share.
type chainFlags struct {
	keyFile string
	prev    string
}

func (c *chainFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.keyFile, "key-file", "", "file holding the HMAC key the chain was written with")
	fs.StringVar(&c.prev, "prev", "", "hash the first record links to (the previous file's head)")
}

func (c *chainFlags) config() (blackbox.VerifyConfig, error) {
	vc := blackbox.VerifyConfig{Prev: c.prev}
	if c.keyFile != "" {
		key, err := os.ReadFile(c.keyFile)
		if err != nil {
			return vc, err
		}
		vc.Key = bytes.TrimRight(key, "\r\n")
	}
	return vc, nil
}

func open(name string, stdin io.Reader) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(stdin), nil
	}
	return os.Open(name)
}

// Exit statuses of verify (and replay) beyond 0, 1 and 2.
const (
	// exitTorn: every record verifies, but a file ends with a torn record
	// (a write cut short by a crash), which is not tampering.
	exitTorn = 4
)

func verifyCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf chainFlags
	var as anchors
	cf.register(fs)
	fs.Var(&as, "anchor", "SEQ:HASH of a record kept elsewhere (repeatable): detects a file cut short before it")
	requireSeal := fs.Bool("require-seal", false, "fail unless the last record is a seal (the file was closed cleanly)")
	set := fs.Bool("set", false, "verify the FILEs as one rotated set, in the order given; a single FILE stands for itself and its rotated files (FILE.NNN…)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	vc, err := cf.config()
	if err != nil {
		fmt.Fprintf(stderr, "sqlvigil-audit: %v\n", err)
		return 1
	}
	vc.Anchors, vc.RequireSeal = as, *requireSeal
	var st status
	if *set {
		names := fs.Args()
		if len(names) == 1 {
			if names, err = blackbox.Files(names[0]); err != nil {
				fmt.Fprintf(stderr, "sqlvigil-audit: %v\n", err)
				return 1
			}
		}
		rep, err := vc.VerifyFiles(names)
		st.report(stdout, strings.Join(fs.Args(), " "), rep, err)
		return st.code
	}
	for _, name := range fs.Args() {
		if fi, err := os.Stat(name); err == nil && fi.IsDir() {
			rep, err := vc.VerifyDir(name)
			st.report(stdout, name, rep, err)
			continue
		}
		f, err := open(name, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "sqlvigil-audit: %v\n", err)
			st.fail(1)
			continue
		}
		rep, err := vc.Verify(f)
		f.Close()
		st.report(stdout, name, rep, err)
	}
	return st.code
}

// status is verify's exit status: 1 (tampering or an error) outranks 4
// (a torn tail), which outranks 0.
type status struct{ code int }

func (s *status) fail(code int) {
	if s.code != 1 {
		s.code = code
	}
}

func (s *status) report(w io.Writer, name string, rep blackbox.Report, err error) {
	var torn *blackbox.TornTailError
	switch {
	case errors.As(err, &torn):
		fmt.Fprintf(w, "%s: TORN TAIL: %v\n", name, err)
		fmt.Fprintf(w, "%s: not tampering: %d records before it verify (seq %d..%d), head %d:%s; opening the black box (blackbox.Open) cuts the tail and records the cut\n",
			name, rep.Records, rep.FirstSeq, rep.LastSeq, rep.LastSeq, rep.Head)
		s.fail(exitTorn)
		return
	case err != nil:
		fmt.Fprintf(w, "%s: FAILED: %v\n", name, err)
		s.fail(1)
		return
	}
	sealed := "not sealed"
	if rep.Sealed {
		sealed = "sealed"
	}
	var extra string
	if rep.Files > 0 {
		extra += fmt.Sprintf(", %d files", rep.Files)
	}
	if rep.Cuts > 0 {
		extra += fmt.Sprintf(", %d torn tail(s) cut after a crash (%d bytes)", rep.Cuts, rep.CutBytes)
	}
	if rep.FirstSeq > 1 {
		extra += fmt.Sprintf(", continues an earlier file whose head is %d:%s", rep.FirstSeq-1, rep.Prev)
	}
	fmt.Fprintf(w, "%s: OK: %d records (seq %d..%d), %s%s, head %d:%s\n",
		name, rep.Records, rep.FirstSeq, rep.LastSeq, sealed, extra, rep.LastSeq, rep.Head)
}

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

	"github.com/sqlvigil/sqlvigil/audit"
)

// anchors is a repeatable -anchor SEQ:HASH flag.
type anchors []audit.Anchor

func (a *anchors) String() string { return fmt.Sprint(*a) }

func (a *anchors) Set(s string) error {
	seq, hash, ok := strings.Cut(s, ":")
	n, err := strconv.ParseUint(seq, 10, 64)
	if !ok || err != nil || n == 0 || len(hash) != 64 {
		return errors.New("want SEQ:HASH, a sequence number and a 64-digit hex hash")
	}
	*a = append(*a, audit.Anchor{Seq: n, Hash: strings.ToLower(hash)})
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

func (c *chainFlags) config() (audit.VerifyConfig, error) {
	vc := audit.VerifyConfig{Prev: c.prev}
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

func verifyCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf chainFlags
	var as anchors
	cf.register(fs)
	fs.Var(&as, "anchor", "SEQ:HASH of a record kept elsewhere (repeatable): detects a file cut short before it")
	requireSeal := fs.Bool("require-seal", false, "fail unless the last record is a seal (the file was closed cleanly)")
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
	status := 0
	for _, name := range fs.Args() {
		f, err := open(name, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "sqlvigil-audit: %v\n", err)
			status = 1
			continue
		}
		rep, err := vc.Verify(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stdout, "%s: FAILED: %v\n", name, err)
			status = 1
			continue
		}
		sealed := "not sealed"
		if rep.Sealed {
			sealed = "sealed"
		}
		fmt.Fprintf(stdout, "%s: OK: %d records (seq %d..%d), %s, head %d:%s\n",
			name, rep.Records, rep.FirstSeq, rep.LastSeq, sealed, rep.LastSeq, rep.Head)
	}
	return status
}

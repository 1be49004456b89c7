// Command sqlvigil-audit verifies and replays sqlvigil black-box audit files
// (the hash-chained JSON lines written by blackbox.Writer).
//
// Usage:
//
//	sqlvigil-audit verify [flags] FILE|DIR...
//	sqlvigil-audit verify -set [flags] FILE...
//	sqlvigil-audit replay -policy POLICY.yaml [flags] FILE
//
// verify checks each file's chain and reports the first record that was
// edited, removed, inserted or moved; with -require-seal or -anchor it also
// detects a file cut short. It prints the head hash: keep it elsewhere and
// pass it back as -anchor SEQ:HASH next time. A last line that is not a
// whole record is reported as a TORN TAIL — a write cut short by a crash,
// which the next writer cuts and records — not as tampering. A directory,
// or the FILEs given with -set (one FILE: it and its rotated files
// FILE.NNN…), is verified as one rotated set: each file must begin where
// the one before it ended, so a missing or reordered file is reported.
//
// replay runs every recorded statement through a guard policy file in dry
// run — "what would this policy have blocked?" — and lists the statements
// whose fate changes. With -exec-dsn it also re-runs the statements the new
// policy allows and that only read, inside a read-only transaction that is
// rolled back, against another database, and compares the row counts.
//
// Exit status: 0 when every file verifies (and, for replay, nothing is
// newly blocked unless -allow-newly-blocked), 1 on a broken chain
// (tampering) or an error, 2 on bad usage, 3 when replay finds newly
// blocked statements, 4 when the only problem is a torn tail.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage:
  sqlvigil-audit verify [-key-file F] [-prev HASH] [-anchor SEQ:HASH]... [-require-seal] [-set] FILE|DIR...
  sqlvigil-audit replay -policy POLICY.yaml [-env NAME] [-all] [-key-file F] [-prev HASH]
                        [-exec-driver postgres|mysql -exec-dsn DSN] FILE
FILE may be - for standard input. A DIR, or FILEs given with -set, are one rotated set.
Exit status: 0 verified, 1 tampered or error, 2 usage, 3 newly blocked (replay), 4 torn tail only.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "verify":
		return verifyCmd(args[1:], stdin, stdout, stderr)
	case "replay":
		return replayCmd(ctx, args[1:], stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sqlvigil-audit: unknown command %q\n%s", args[0], usage)
		return 2
	}
}

package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
,raw,,otelsql,,,,vigil-full,,,
,sec/op,CI,sec/op,CI,vs base,P,sec/op,CI,vs base,P
Peers/driver=pq/op=point-2,1e-04,1%,1.2e-04,2%,+20.00%,p=0.000 n=8,1.05e-04,1%,+5.00%,p=0.000 n=8
geomean,1e-04,,1.2e-04,,+20.00%,,1.05e-04,,+5.00%,

,raw,,otelsql,,,,vigil-full,,,
,allocs/op,CI,allocs/op,CI,vs base,P,allocs/op,CI,vs base,P
Peers/driver=pq/op=point-2,30,0%,53,0%,+76.67%,p=0.000 n=8,61,0%,+103.33%,p=0.000 n=8
`

func TestParseAndWrite(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	k := key{"pq", "point"}
	if got := res.ratio(k, "vigil-full"); got < 1.049 || got > 1.051 {
		t.Errorf("ratio: got %v, want 1.05", got)
	}
	if got := res.alloc[k]["otelsql"].median; got != 53 {
		t.Errorf("otelsql allocs: got %v, want 53", got)
	}
	var buf bytes.Buffer
	res.write(&buf)
	for _, want := range []string{"| pq | point | 100 µs 1% · 30 allocs |", "**×1.05** · 61 allocs"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table: got\n%s\nwant it to contain %q", buf.String(), want)
		}
	}
	buf.Reset()
	if missed := res.check(&buf); missed != 0 {
		t.Errorf("check: got %d missed, want 0:\n%s", missed, buf.String())
	}
}

func TestParseEmpty(t *testing.T) {
	if _, err := parse(strings.NewReader("goos: linux\n")); err == nil {
		t.Error("parse of no rows: got nil error, want one")
	}
}

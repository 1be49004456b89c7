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
	for _, want := range []string{"| pq | point | 100 µs ±1% · 30 allocs |", "**×1.05** · 61 allocs"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table: got\n%s\nwant it to contain %q", buf.String(), want)
		}
	}
	buf.Reset()
	if missed := res.check(&buf); missed != 0 {
		t.Errorf("check: got %d missed, want 0:\n%s", missed, buf.String())
	}
}

// paired is benchstat's CSV for BenchmarkPaired: one section per unit.
const paired = `,paired.txt,
,sec/op,CI
Paired/driver=pq/op=point-2,1e-03,3%

,paired.txt,
,raw-sec/op,CI
Paired/driver=pq/op=point-2,1e-04,1%

,paired.txt,
,vigil-full-sec/op,CI
Paired/driver=pq/op=point-2,1.2e-04,1%

,paired.txt,
,otelsql-sec/op,CI
Paired/driver=pq/op=point-2,1.3e-04,1%
`

func TestPairedDecides(t *testing.T) {
	res, err := parse(strings.NewReader(sample + "\n" + paired))
	if err != nil {
		t.Fatal(err)
	}
	k := key{"pq", "point"}
	if got := res.pairedRatio(k, "vigil-full"); got < 1.199 || got > 1.201 {
		t.Errorf("paired ratio: got %v, want 1.2", got)
	}
	if _, ok := res.paired[k][""]; ok {
		t.Error("the interleaved benchmark's own sec/op was kept as a contender")
	}
	var buf bytes.Buffer
	res.writePaired(&buf)
	if want := "| pq | point | 100 µs | ×1.30 (+30 µs) | ×1.20 (+20 µs) |"; !strings.Contains(buf.String(), want) {
		t.Errorf("paired table: got\n%s\nwant it to contain %q", buf.String(), want)
	}
	buf.Reset()
	// Alone, full governance is ×1.05 (met); interleaved ×1.20 decides.
	if missed := res.check(&buf); missed != 1 {
		t.Errorf("check: got %d missed, want 1 (the ×1.10 budget):\n%s", missed, buf.String())
	}
}

// cpu is benchstat's CSV for BenchmarkPeers' CPU metric on the fake driver,
// with its wall time, where full governance looks worse than otelsql.
const cpu = `,raw,,otelsql,,,,vigil-full,,,
,sec/op,CI,sec/op,CI,vs base,P,sec/op,CI,vs base,P
Peers/driver=fake/op=point-2,1e-06,1%,5e-06,2%,x,p,6e-06,1%,x,p

,raw,,otelsql,,,,vigil-full,,,
,cpu-sec/op,CI,cpu-sec/op,CI,vs base,P,cpu-sec/op,CI,vs base,P
Peers/driver=fake/op=point-2,1e-06,1%,5e-06,2%,x,p,4e-06,1%,x,p
`

func TestCPUDecidesInProcess(t *testing.T) {
	res, err := parse(strings.NewReader(cpu))
	if err != nil {
		t.Fatal(err)
	}
	k := key{"fake", "point"}
	if got := res.cpuRatio(k, "vigil-full"); got < 3.99 || got > 4.01 {
		t.Errorf("cpu ratio: got %v, want 4", got)
	}
	var buf bytes.Buffer
	if missed := res.check(&buf); missed != 0 {
		t.Errorf("check: got %d missed, want 0 (CPU ×4 < ×5 decides):\n%s", missed, buf.String())
	}
	if want := "vigil-full ×4.00 CPU (×6.00 alone)"; !strings.Contains(buf.String(), want) {
		t.Errorf("check: got\n%s\nwant it to contain %q", buf.String(), want)
	}
}

func TestParseEmpty(t *testing.T) {
	if _, err := parse(strings.NewReader("goos: linux\n")); err == nil {
		t.Error("parse of no rows: got nil error, want one")
	}
}

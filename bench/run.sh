#!/usr/bin/env bash
# Runs the peer benchmarks and prints the comparison table.
#
# Every contender runs in the same process, in the same run, against the same
# tables. The test binary is run COUNT times (a "round" each); within a round,
# the contenders of one driver and workload run back to back, starting with a
# different contender each round, so slow drift on a shared machine does not
# favour one of them. benchstat takes the median of the rounds; ratios are to
# the raw driver's median of the same run.
#
# Environment:
#   COUNT      rounds (default 6)
#   BENCHTIME  -test.benchtime per BenchmarkPeers benchmark and round (default 250ms)
#   PAIRTIME   -test.benchtime per BenchmarkPaired benchmark and round (default 1.2s)
#   BENCH      -test.bench pattern (default: BenchmarkPeers and BenchmarkPaired, all of them)
#   OUT        directory for results.txt, benchstat.txt, table.md (default: a temp dir)
#   SQLVIGIL_POSTGRES_DSN, SQLVIGIL_MYSQL_DSN  servers (defaults: 127.0.0.1, db test)
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-250ms}
PAIRTIME=${PAIRTIME:-1.2s}
BENCH=${BENCH:-Benchmark(Peers|Paired)}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

BENCHSTAT=$(command -v benchstat || true)
if [ -z "$BENCHSTAT" ]; then
  BENCHSTAT="$(go env GOPATH)/bin/benchstat"
  [ -x "$BENCHSTAT" ] || go install golang.org/x/perf/cmd/benchstat@latest
fi

start=$(date +%s)
load_start=$(cut -d" " -f1-3 /proc/loadavg)
go test -c -o "$OUT/bench.test" .
go build -o "$OUT/benchtable" ./cmd/benchtable
: >"$OUT/results.txt"
for i in $(seq 1 "$COUNT"); do
  echo "round $i/$COUNT" >&2
  # Separate processes per round, so each round starts from a fresh heap.
  BENCH_ROUND=$i "$OUT/bench.test" -test.run '^$' -test.bench "$BENCH" \
    -test.skip 'BenchmarkPaired' -test.benchtime "$BENCHTIME" -test.benchmem >>"$OUT/results.txt"
  BENCH_ROUND=$i "$OUT/bench.test" -test.run '^$' -test.bench "$BENCH" \
    -test.skip 'BenchmarkPeers' -test.benchtime "$PAIRTIME" >>"$OUT/results.txt"
done
end=$(date +%s)
load_end=$(cut -d" " -f1-3 /proc/loadavg)

order='/impl@(raw sqlmw otelsql vigil-pass vigil-audit vigil-full)'
grep -v '^BenchmarkPaired' "$OUT/results.txt" >"$OUT/peers.txt"
grep -v '^BenchmarkPeers' "$OUT/results.txt" >"$OUT/paired.txt"
{
  "$BENCHSTAT" -col "$order" "$OUT/peers.txt"
  echo
  "$BENCHSTAT" "$OUT/paired.txt"
} >"$OUT/benchstat.txt"
{
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "Go: $(go env GOVERSION); load average (1/5/15 min) at start: $load_start, at end: $load_end"
  echo "Command: COUNT=$COUNT BENCHTIME=$BENCHTIME PAIRTIME=$PAIRTIME bench/run.sh ($(((end - start) / 60)) min $(((end - start) % 60)) s)"
  echo
  {
    "$BENCHSTAT" -format csv -col "$order" "$OUT/peers.txt" 2>/dev/null
    "$BENCHSTAT" -format csv "$OUT/paired.txt" 2>/dev/null
  } | "$OUT/benchtable"
} | tee "$OUT/table.md"
echo >&2
echo "results: $OUT/results.txt, benchstat: $OUT/benchstat.txt, table: $OUT/table.md" >&2

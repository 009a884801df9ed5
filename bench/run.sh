#!/usr/bin/env bash
# Runs the ginoauth / hand-written x/oauth2 / gothic benchmarks and prints
# benchstat's summary and the ratio table (see docs/BENCHMARKS.md).
#
# Environment (all optional):
#   COUNT=6            runs of the whole suite; runs are interleaved (the
#                      suite runs COUNT times in a row, each benchmark once),
#                      so a burst of load hits every implementation alike
#   BENCH='.'          -bench pattern, e.g. 'Flow/provider=canned/run=seq'
#   BENCHTIME=1s       -benchtime
#   GINOAUTH_BENCH_LATENCY=2ms   provider latency in loopback mode
#   OUT=/tmp/ginoauth-bench-results.txt   raw `go test -bench` output
#   NICE=-10           run the benchmarks under `nice -n $NICE` (a negative
#                      value needs root) on a machine that is busy with
#                      other work
#   CPUPROFILE=/path   with BENCH narrowed to one benchmark, write a CPU
#   MEMPROFILE=/path   and/or allocation profile of the last run
set -euo pipefail
cd "$(dirname "$0")"

COUNT="${COUNT:-6}"
BENCH="${BENCH:-.}"
BENCHTIME="${BENCHTIME:-1s}"
OUT="${OUT:-${TMPDIR:-/tmp}/ginoauth-bench-results.txt}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" .

: >"$OUT"
for i in $(seq 1 "$COUNT"); do
	echo "run $i/$COUNT" >&2
	prof=()
	if [ "$i" -eq "$COUNT" ]; then
		[ -n "${CPUPROFILE:-}" ] && prof+=("-test.cpuprofile=$CPUPROFILE")
		[ -n "${MEMPROFILE:-}" ] && prof+=("-test.memprofile=$MEMPROFILE")
	fi
	${NICE:+nice -n "$NICE"} "$tmp/bench.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem \
		-test.benchtime "$BENCHTIME" -test.count 1 "${prof[@]}" | tee -a "$OUT" | grep -E '^(Benchmark|--- FAIL|FAIL|panic)' >&2 || true
done
if grep -qE '^(--- FAIL|FAIL)' "$OUT"; then
	echo "run.sh: a benchmark failed; see $OUT" >&2
	exit 1
fi
if [ -n "${CPUPROFILE:-}${MEMPROFILE:-}" ]; then
	cp "$tmp/bench.test" "${CPUPROFILE:-$MEMPROFILE}.bin"
	echo "profiles written; binary for pprof: ${CPUPROFILE:-$MEMPROFILE}.bin" >&2
fi

echo
echo "## benchstat (columns by implementation)"
echo
if ! go run golang.org/x/perf/cmd/benchstat@latest -col /impl "$OUT" 2>"$tmp/benchstat.err"; then
	echo "(benchstat unavailable: $(head -1 "$tmp/benchstat.err"))"
fi
echo
echo "## ratios"
echo
go run ./cmd/ratios "$OUT"

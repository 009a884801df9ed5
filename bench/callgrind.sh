#!/usr/bin/env bash
# Counts instructions per op of each benchmark with valgrind's callgrind:
# each benchmark runs twice, for LOW and HIGH ops (-test.benchtime=Nx), and
# the difference of the two totals divided by HIGH-LOW is the cost of one
# op, without start-up, set-up or the calibration run. The runtime's use
# of RDTSCP, which valgrind cannot run, is turned off (GODEBUG cpu.rdtscp),
# and so is asynchronous preemption. Instructions do not depend on the
# machine's load: the figures repeat within about 3 % (garbage collection
# lands on different ops), where wall-clock ratios on a busy 2-core
# machine move by tens of percent.
#
# Environment (all optional):
#   BENCH='Flow/provider=canned/run=seq'   which benchmarks (a -bench
#                                           prefix; every phase and impl
#                                           under it is counted)
#   LOW=200 HIGH=2200                       the two op counts
#   OUT=/tmp/ginoauth-callgrind.txt         per-op counts, as go test
#                                           -bench lines (instr/op), which
#                                           cmd/ratios reads beside run.sh's
#   KEEP=/dir                               keep callgrind.out files there
#                                           (for callgrind_annotate)
set -euo pipefail
cd "$(dirname "$0")"
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

BENCH="${BENCH:-Flow/provider=canned/run=seq}"
LOW="${LOW:-200}"
HIGH="${HIGH:-2200}"
OUT="${OUT:-${TMPDIR:-/tmp}/ginoauth-callgrind.txt}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" .

# The benchmark names under BENCH.
names=$(
	"$tmp/bench.test" -test.run '^$' -test.bench "^Benchmark${BENCH}" -test.benchtime 1x -test.count 1 2>/dev/null \
	| awk '/^Benchmark/ {sub(/-[0-9]+$/, "", $1); print $1}')
[ -n "$names" ] || { echo "callgrind.sh: no benchmark matches $BENCH" >&2; exit 1; }

total() { # total instructions of one callgrind run
	awk '/^summary:/ {print $2}' "$1"
}

: >"$OUT"
for name in $names; do
	pattern="^$(printf '%s' "$name" | sed 's/[][().*+?^$|]/\\&/g; s#/#$/^#g')\$"
	counts=()
	for n in "$LOW" "$HIGH"; do
		f="$tmp/callgrind.$(printf '%s' "$name" | tr '/=' '__').$n"
		case "$name" in
		BenchmarkE2E/*)
			# The app runs in a process of its own: the benchmark runs
			# it under callgrind (and the browser and provider natively),
			# and its file for b.N = n is the one counted.
			rm -f "$tmp"/callgrind.e2e_*
			GINOAUTH_BENCH_CALLGRIND="$tmp" "$tmp/bench.test" -test.run '^$' -test.bench "$pattern" \
				-test.benchtime "${n}x" -test.count 1 >"$f.log" 2>&1 || { cat "$f.log" >&2; exit 1; }
			mv "$tmp"/callgrind.e2e_*."$n" "$f"
			;;
		*)
			GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file="$f" \
				"$tmp/bench.test" -test.run '^$' -test.bench "$pattern" -test.benchtime "${n}x" -test.count 1 \
				>"$f.log" 2>&1 || { cat "$f.log" >&2; exit 1; }
			;;
		esac
		grep -qE '^(--- FAIL|FAIL)' "$f.log" && { cat "$f.log" >&2; exit 1; }
		counts+=("$(total "$f")")
		[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$f" "$KEEP/"
	done
	per=$(( (counts[1] - counts[0]) / (HIGH - LOW) ))
	printf '%s\t%d\t%d instr/op\n' "$name" "$HIGH" "$per" | tee -a "$OUT"
done
echo
go run ./cmd/ratios "$OUT"

package main

import (
	"math"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/ginoauth/ginoauth/bench
BenchmarkFlow/provider=canned/run=seq/phase=full/impl=handwritten-2   100  1000 ns/op  1006 cookie-B/op  900 cpu-ns/op  2000 B/op  20 allocs/op
BenchmarkFlow/provider=canned/run=seq/phase=full/impl=handwritten-2   100  3000 ns/op  1006 cookie-B/op  2900 cpu-ns/op  2000 B/op  20 allocs/op
BenchmarkFlow/provider=canned/run=seq/phase=full/impl=handwritten-2   100  2000 ns/op  1006 cookie-B/op  1900 cpu-ns/op  2000 B/op  20 allocs/op
BenchmarkFlow/provider=canned/run=seq/phase=full/impl=gothic-2        10  50000 ns/op  2202 cookie-B/op  48000 cpu-ns/op  90000 B/op  30 allocs/op
BenchmarkFlow/provider=canned/run=seq/phase=full/impl=ginoauth-2      100  2200 ns/op  1411 cookie-B/op  2000 cpu-ns/op  2400 B/op  22 allocs/op
BenchmarkFlow/provider=canned/run=seq/phase=full/impl=ginoauth-2      100  2400 ns/op  1411 cookie-B/op  2200 cpu-ns/op  2600 B/op  22 allocs/op
BenchmarkFlow/provider=loopback/run=seq/phase=full/impl=handwritten-2 10  2000 ns/op  1006 cookie-B/op  2000 B/op  20 allocs/op
BenchmarkFlow/provider=loopback/run=seq/phase=full/impl=gothic-2      10  4000 ns/op  1006 cookie-B/op  4000 B/op  20 allocs/op
BenchmarkFlow/provider=loopback/run=seq/phase=full/impl=ginoauth-2    10  2000 ns/op  1006 cookie-B/op  2000 B/op  20 allocs/op
BenchmarkFlow/provider=canned/run=seq/phase=api-session/impl=handwritten-2  100  1000 ns/op  0 cookie-B/op  100 B/op  1 allocs/op
BenchmarkFlow/provider=canned/run=seq/phase=api-session/impl=ginoauth-2     100  1200 ns/op  0 cookie-B/op  100 B/op  1 allocs/op
--- SKIP: BenchmarkFlow/provider=canned/run=seq/phase=refresh/impl=gothic
PASS
`

func TestParseAndMedians(t *testing.T) {
	var r results
	if err := parse(strings.NewReader(sample), &r); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"provider=canned/run=seq/phase=full", "provider=loopback/run=seq/phase=full", "provider=canned/run=seq/phase=api-session"}
	if strings.Join(r.keys, ",") != strings.Join(wantKeys, ",") {
		t.Fatalf("keys: got %v, want %v", r.keys, wantKeys)
	}
	tests := []struct {
		name, key, impl, unit string
		want                  float64
	}{
		{"odd count", wantKeys[0], handwritten, unitTime, 2000},
		{"even count", wantKeys[0], ours, unitTime, 2300},
		{"custom unit", wantKeys[0], gothic, unitCookie, 2202},
		{"cpu", wantKeys[0], ours, unitCPU, 2100},
		{"bytes", wantKeys[0], ours, unitBytes, 2500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.median(tt.key, tt.impl, tt.unit); got != tt.want {
				t.Errorf("median: got %v, want %v", got, tt.want)
			}
		})
	}
	if got := r.median(wantKeys[2], gothic, unitTime); !math.IsNaN(got) {
		t.Errorf("median of a missing implementation: got %v, want NaN", got)
	}
}

func TestVerdictAndRender(t *testing.T) {
	var r results
	if err := parse(strings.NewReader(sample), &r); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, want string
	}{
		// 2300/2000 = 1.15 <= 1.25; 2500/2000 = 1.25; 2300/50000 < 1/20.
		{"provider=canned/run=seq/phase=full", "ok"},
		// 1200/1000 = 1.20 > 1.15 for the API hot path.
		{"provider=canned/run=seq/phase=api-session", "MISS time/hand 1.20>1.15"},
		// Half of gothic's time is no miss with the loopback provider:
		// the gothic target is for library overhead only.
		{"provider=loopback/run=seq/phase=full", "ok"},
	}
	for _, tt := range tests {
		if got := verdict(&r, tt.key); got != tt.want {
			t.Errorf("verdict(%s): got %q, want %q", tt.key, got, tt.want)
		}
	}
	var out strings.Builder
	render(&out, &r)
	for _, want := range []string{
		"| provider=canned/run=seq/phase=full | 2 | 1.15 | 1.11 | 1.25 | 1.10 | 0.05 | 0.04 | 0.03 | 0.73 | ok |",
		"| provider=canned/run=seq/phase=full | 2.0µs / 50.0µs / 2.3µs | 1.9µs / 48.0µs / 2.1µs | 2000 / 87.9KiB / 2500 | 20 / 30 / 22 | 1006 / 2202 / 1411 |",
		"| provider=canned/run=seq/phase=api-session | 1 | 1.20 | - | 1.00 | 1.00 | - | - | - | - |",
		"| provider=loopback/run=seq/phase=full | 1 | 1.00 | - | 1.00 | 1.00 | 0.50 | - | 0.50 | 1.00 | ok |",
		// Fastest runs: 2200/1000 and 2000/900.
		"| provider=canned/run=seq/phase=full | 2.20 | 2.22 | 0.04 | 0.04 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("render: output lacks %q; got:\n%s", want, out.String())
		}
	}
}

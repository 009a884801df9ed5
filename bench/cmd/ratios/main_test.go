package main

import (
	"fmt"
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

// series writes n benchmark lines for name with ns/op values around mean
// (a fixed spread), and one bytes and allocs value.
func series(name string, mean float64, n int, bytes int) string {
	var b strings.Builder
	for i := range n {
		v := mean * (1 + 0.02*float64(i%5-2)) // mean ±4 %
		fmt.Fprintf(&b, "%s-2 100 %.0f ns/op %d B/op 10 allocs/op\n", name, v, bytes)
	}
	return b.String()
}

func TestVerdictAndRender(t *testing.T) {
	const p = "BenchmarkFlow/provider=canned/run=seq/phase="
	in := series(p+"login/impl=handwritten", 1000, 10, 100) +
		series(p+"login/impl=ginoauth", 900, 10, 100) + // clearly cheaper: met
		series(p+"callback/impl=handwritten", 1000, 10, 100) +
		series(p+"callback/impl=ginoauth", 1200, 10, 100) + // clearly dearer: missed
		series(p+"full/impl=handwritten", 1000, 10, 100) +
		series(p+"full/impl=ginoauth", 1010, 10, 90) + // within the noise: n.s.
		series(p+"full/impl=gothic", 20000, 10, 5000) +
		p + "login/impl=handwritten\t2200\t100000 instr/op\n" +
		p + "login/impl=ginoauth\t2200\t99000 instr/op\n" + // 0.99, inside ±3 %: n.s.
		p + "callback/impl=handwritten\t2200\t100000 instr/op\n" +
		p + "callback/impl=ginoauth\t2200\t95000 instr/op\n" // 0.95, under 1.00 even at +3 %: met
	var r results
	if err := parse(strings.NewReader(in), &r); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		key, unit, want string
	}{
		{"provider=canned/run=seq/phase=login", unitTime, "met"},
		{"provider=canned/run=seq/phase=callback", unitTime, "missed"},
		{"provider=canned/run=seq/phase=full", unitTime, "n.s."},
		{"provider=canned/run=seq/phase=full", unitBytes, "met"}, // every sample 0.90
		{"provider=canned/run=seq/phase=login", unitInstr, "n.s."},
		{"provider=canned/run=seq/phase=callback", unitInstr, "met"},
	} {
		if got := judge(&r, tt.key, tt.unit, handwritten).verdict; got != tt.want {
			t.Errorf("judge(%s, %s): got %q, want %q", tt.key, tt.unit, got, tt.want)
		}
	}
	for key, want := range map[string]string{
		"provider=canned/run=seq/phase=callback": "missed: ns/op 1.20",
		"provider=canned/run=seq/phase=full":     "met where significant; n.s.: ns/op",
	} {
		if got := verdict(&r, key); got != want {
			t.Errorf("verdict(%s): got %q, want %q", key, got, want)
		}
	}
	var out strings.Builder
	render(&out, &r)
	for _, want := range []string{
		"| benchmark | n | instr/op | ns/op | B/op | allocs/op | verdict |",
		"| provider=canned/run=seq/phase=callback | 10 | 0.95 [0.92–0.98] | 1.20 [",
		"] ✗ | 1.00 [1.00–1.00] | 1.00 [1.00–1.00] | missed: ns/op 1.20 |",
		"| provider=canned/run=seq/phase=login | 10 | 0.99 [0.96–1.02] ? | 0.90 [",
		"ginoauth / gothic",
		"| provider=canned/run=seq/phase=full | - | 0.05 [",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("render: output lacks %q; got:\n%s", want, out.String())
		}
	}
}

// TestEndToEndAppFigures: the end-to-end benchmark's app-process figures
// stand for CPU time, bytes and allocations, in place of the browser's.
func TestEndToEndAppFigures(t *testing.T) {
	const e2e = `BenchmarkE2E/provider=zitadel/phase=api/impl=handwritten-2  300  500000 ns/op  300000 app-cpu-ns/op  24000 app-B/op  300 app-allocs/op  0 cookie-B/op  9000 B/op  90 allocs/op
BenchmarkE2E/provider=zitadel/phase=api/impl=ginoauth-2     300  520000 ns/op  330000 app-cpu-ns/op  27000 app-B/op  340 app-allocs/op  0 cookie-B/op  9100 B/op  91 allocs/op
`
	var r results
	if err := parse(strings.NewReader(e2e), &r); err != nil {
		t.Fatal(err)
	}
	key := "BenchmarkE2E/provider=zitadel/phase=api"
	for unit, want := range map[string]float64{unitCPU: 330000, unitBytes: 27000, unitAllocs: 340, unitTime: 520000} {
		if got := r.median(key, "ginoauth", unit); got != want {
			t.Errorf("%s: got %v, want %v", unit, got, want)
		}
	}
	if got := r.median(key, "handwritten", unitBytes); got != 24000 {
		t.Errorf("handwritten B/op: got %v, want the app's 24000", got)
	}
}

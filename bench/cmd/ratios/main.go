// Command ratios reads `go test -bench` output of the bench package and
// prints Markdown tables: the median wall time, CPU time, bytes and
// allocations per op of ginoauth divided by those of the hand-written and
// the gothic implementation, checked against the targets, then the medians
// themselves with the Set-Cookie bytes per op. On a busy machine the
// ratios of the fastest runs are printed too: the minimum is the sample
// least inflated by other processes.
//
// Usage:
//
//	go run ./cmd/ratios results.txt [more.txt ...]
//	go test -bench . -benchmem ./ | go run ./cmd/ratios
//
// Benchmarks are matched by name with the impl=... element removed, so
// ".../phase=login/impl=ginoauth" is compared with
// ".../phase=login/impl=handwritten". Every run of a benchmark (-count, or
// several files) is a sample; the median of the samples is used.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// The implementations, as the benchmark names spell them.
const (
	ours        = "ginoauth"
	handwritten = "handwritten"
	gothic      = "gothic"
)

// Units read from the benchmark lines.
const (
	unitTime   = "ns/op"
	unitBytes  = "B/op"
	unitAllocs = "allocs/op"
	unitCookie = "cookie-B/op"
	unitCPU    = "cpu-ns/op"
)

// results holds the samples: key (name without impl) -> impl -> unit.
type results struct {
	keys    []string
	samples map[string]map[string]map[string][]float64
}

func (r *results) add(key, impl, unit string, v float64) {
	if r.samples == nil {
		r.samples = map[string]map[string]map[string][]float64{}
	}
	byImpl, ok := r.samples[key]
	if !ok {
		byImpl = map[string]map[string][]float64{}
		r.samples[key] = byImpl
		r.keys = append(r.keys, key)
	}
	if byImpl[impl] == nil {
		byImpl[impl] = map[string][]float64{}
	}
	byImpl[impl][unit] = append(byImpl[impl][unit], v)
}

// median returns the median of key's samples for impl and unit, or NaN.
func (r *results) median(key, impl, unit string) float64 {
	s := slices.Clone(r.samples[key][impl][unit])
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// min returns the smallest of key's samples for impl and unit, or NaN: the
// run least disturbed by other work on the machine.
func (r *results) min(key, impl, unit string) float64 {
	s := r.samples[key][impl][unit]
	if len(s) == 0 {
		return math.NaN()
	}
	return slices.Min(s)
}

func (r *results) count(key, impl string) int {
	return len(r.samples[key][impl][unitTime])
}

// parse reads benchmark lines; other lines are ignored.
func parse(in io.Reader, r *results) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // GOMAXPROCS suffix
			}
		}
		var impl string
		parts := strings.Split(name, "/")
		kept := parts[:0]
		for _, p := range parts {
			if v, ok := strings.CutPrefix(p, "impl="); ok {
				impl = v
				continue
			}
			kept = append(kept, p)
		}
		if impl == "" {
			continue
		}
		key := strings.TrimPrefix(strings.Join(kept, "/"), "BenchmarkFlow/")
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("ratios: %s: bad value %q", f[0], f[i])
			}
			r.add(key, impl, f[i+1], v)
		}
	}
	return sc.Err()
}

// ratio formats a/b, or "-" when either is missing.
func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		if a == 0 && b == 0 {
			return "1.00"
		}
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// limits returns the targets for key: the most ginoauth may cost relative
// to the hand-written code in time and bytes, and (for the full flow) the
// most relative to gothic.
func limits(key string) (timeVsHand, bytesVsHand, vsGothic float64) {
	timeVsHand, bytesVsHand = 1.25, 1.25
	if strings.Contains(key, "phase=api-session") {
		timeVsHand = 1.15
	}
	vsGothic = math.NaN()
	// Against gothic the target is library overhead: with the loopback
	// provider's latency in every op, no implementation can be 20x faster.
	if strings.Contains(key, "phase=full") && strings.Contains(key, "provider=canned") {
		vsGothic = 1.0 / 20
	}
	return timeVsHand, bytesVsHand, vsGothic
}

// verdict checks the medians against the targets.
func verdict(r *results, key string) string {
	tl, bl, gl := limits(key)
	var miss []string
	check := func(unit string, other string, limit float64, label string) {
		a, b := r.median(key, ours, unit), r.median(key, other, unit)
		if math.IsNaN(a) || math.IsNaN(b) || math.IsNaN(limit) || b == 0 {
			return
		}
		if a/b > limit {
			miss = append(miss, fmt.Sprintf("%s %.2f>%.2f", label, a/b, limit))
		}
	}
	check(unitTime, handwritten, tl, "time/hand")
	check(unitCPU, handwritten, tl, "cpu/hand")
	check(unitBytes, handwritten, bl, "B/hand")
	check(unitTime, gothic, gl, "time/gothic")
	check(unitCPU, gothic, gl, "cpu/gothic")
	check(unitBytes, gothic, gl, "B/gothic")
	if len(miss) == 0 {
		return "ok"
	}
	return "MISS " + strings.Join(miss, ", ")
}

func human(v float64, unit string) string {
	if math.IsNaN(v) {
		return "-"
	}
	if unit == unitTime || unit == unitCPU {
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2fms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.1fµs", v/1e3)
		default:
			return fmt.Sprintf("%.0fns", v)
		}
	}
	if unit == unitBytes && v >= 10*1024 {
		return fmt.Sprintf("%.1fKiB", v/1024)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func render(w io.Writer, r *results) {
	fmt.Fprintln(w, "Ratios of medians, ginoauth / hand-written x/oauth2 and ginoauth / gothic (lower is better for ginoauth):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| benchmark | n | time /hand | cpu /hand | B /hand | allocs /hand | time /gothic | cpu /gothic | B /gothic | allocs /gothic | targets |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	units := []string{unitTime, unitCPU, unitBytes, unitAllocs}
	for _, k := range r.keys {
		if _, ok := r.samples[k][ours]; !ok {
			continue
		}
		row := []string{k, strconv.Itoa(r.count(k, ours))}
		for _, other := range []string{handwritten, gothic} {
			for _, unit := range units {
				row = append(row, ratio(r.median(k, ours, unit), r.median(k, other, unit)))
			}
		}
		row = append(row, verdict(r, k))
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Ratios of the fastest runs (each implementation's least disturbed sample), ginoauth / hand-written and ginoauth / gothic:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| benchmark | time /hand | cpu /hand | time /gothic | cpu /gothic |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, k := range r.keys {
		if _, ok := r.samples[k][ours]; !ok {
			continue
		}
		row := []string{k}
		for _, other := range []string{handwritten, gothic} {
			for _, unit := range []string{unitTime, unitCPU} {
				row = append(row, ratio(r.min(k, ours, unit), r.min(k, other, unit)))
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Medians per op (hand-written / gothic / ginoauth):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| benchmark | time | cpu | B/op | allocs/op | Set-Cookie B/op |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, k := range r.keys {
		row := []string{k}
		for _, unit := range []string{unitTime, unitCPU, unitBytes, unitAllocs, unitCookie} {
			var cells []string
			for _, impl := range []string{handwritten, gothic, ours} {
				cells = append(cells, human(r.median(k, impl, unit), unit))
			}
			row = append(row, strings.Join(cells, " / "))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

func main() {
	var r results
	if len(os.Args) < 2 {
		if err := parse(os.Stdin, &r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ratios:", err)
			os.Exit(1)
		}
		err = parse(f, &r)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if len(r.keys) == 0 {
		fmt.Fprintln(os.Stderr, "ratios: no benchmark results with impl=... in the input")
		os.Exit(1)
	}
	render(os.Stdout, &r)
}

// Command ratios reads `go test -bench` output of the bench package (and
// the instr/op lines of callgrind.sh) and prints Markdown tables: for each
// benchmark, ginoauth's median instructions, wall time, CPU time, bytes,
// allocations and Set-Cookie bytes per op divided by the hand-written
// implementation's, each with a 95 % confidence interval, and a verdict
// against the target (at most 1.00): met only when the whole interval is
// at or under it, missed when the whole interval is over it, and "n.s."
// (not significant) otherwise, so a 1.02 from noise is never read as a
// miss nor a 0.98 as a win. Then the same ratios against gothic, the
// ratios of the fastest runs, and the medians themselves.
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
	unitInstr  = "instr/op" // callgrind.sh
)

// appPrefix marks the end-to-end benchmark's figures of the app process
// (app-cpu-ns/op, app-B/op, app-allocs/op), which stand for cpu-ns/op,
// B/op and allocs/op.
const appPrefix = "app-"

// instrNoise is how far callgrind's instruction counts per op repeat
// between builds and runs (measured: within 3 %, as garbage collection
// lands on different ops); with one sample per side, the
// confidence interval of an instr/op ratio is the ratio widened by it.
const instrNoise = 0.03

// target is the most ginoauth may cost relative to the hand-written code,
// in every unit.
const target = 1.00

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
	return medianOf(r.samples[key][impl][unit])
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
	n := 0
	for _, v := range r.samples[key][impl] {
		n = max(n, len(v))
	}
	return n
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
		vals := map[string]float64{}
		var units []string
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("ratios: %s: bad value %q", f[0], f[i])
			}
			if _, ok := vals[f[i+1]]; !ok {
				units = append(units, f[i+1])
			}
			vals[f[i+1]] = v
		}
		// The end-to-end benchmark's app-process figures are the ones to
		// compare, not those of the browser's process.
		for _, unit := range units {
			if _, ok := vals[appPrefix+unit]; ok || strings.HasPrefix(unit, appPrefix) {
				continue
			}
			r.add(key, impl, unit, vals[unit])
		}
		for _, unit := range units {
			if app, ok := strings.CutPrefix(unit, appPrefix); ok {
				r.add(key, impl, app, vals[unit])
			}
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
	if unit == unitInstr {
		if v >= 1e6 {
			return fmt.Sprintf("%.2fM", v/1e6)
		}
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	if unit == unitBytes && v >= 10*1024 {
		return fmt.Sprintf("%.1fKiB", v/1024)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func render(w io.Writer, r *results) {
	var units []string
	for _, u := range judgedUnits {
		if r.hasUnit(u) {
			units = append(units, u)
		}
	}
	fmt.Fprintf(w, "ginoauth / hand-written x/oauth2, ratio of medians [95 %% confidence interval]; target %.2f: ✗ missed, ? not significant:\n\n", target)
	header := []string{"benchmark", "n"}
	header = append(header, units...)
	header = append(header, "verdict")
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(header)))
	for _, k := range r.keys {
		if _, ok := r.samples[k][ours]; !ok {
			continue
		}
		row := []string{k, strconv.Itoa(r.count(k, ours))}
		for _, unit := range units {
			row = append(row, judge(r, k, unit, handwritten).String())
		}
		row = append(row, verdict(r, k))
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ginoauth / gothic, ratio of medians [95 % confidence interval]:")
	fmt.Fprintln(w)
	header = append([]string{"benchmark"}, units...)
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(header)))
	for _, k := range r.keys {
		if _, ok := r.samples[k][gothic]; !ok {
			continue
		}
		row := []string{k}
		for _, unit := range units {
			j := judge(r, k, unit, gothic)
			j.verdict = ""
			row = append(row, strings.TrimSuffix(strings.TrimSuffix(j.String(), " ✗"), " ?"))
		}
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
	fmt.Fprintln(w, "| benchmark | instr | time | cpu | B/op | allocs/op | Set-Cookie B/op |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, k := range r.keys {
		row := []string{k}
		for _, unit := range []string{unitInstr, unitTime, unitCPU, unitBytes, unitAllocs, unitCookie} {
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

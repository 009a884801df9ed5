package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	n := len(s)
	return (s[n/2-1] + s[n/2]) / 2
}

// interval returns the 95 % bootstrap confidence interval of the ratio of
// the medians of a and b (2,000 resamples with a fixed seed, so a table is
// reproducible). With one sample on each side (callgrind's instruction
// counts) it is the ratio widened by instrNoise; with one sample on one
// side only, nothing can be said and it is NaN.
func interval(a, b []float64) (lo, hi float64) {
	switch {
	case len(a) == 0 || len(b) == 0:
		return math.NaN(), math.NaN()
	case len(a) == 1 && len(b) == 1:
		if b[0] == 0 {
			return math.NaN(), math.NaN()
		}
		r := a[0] / b[0]
		return r * (1 - instrNoise), r * (1 + instrNoise)
	case len(a) == 1 || len(b) == 1:
		return math.NaN(), math.NaN()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const rounds = 2000
	ratios := make([]float64, 0, rounds)
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	for range rounds {
		for j := range ra {
			ra[j] = a[rng.IntN(len(a))]
		}
		for j := range rb {
			rb[j] = b[rng.IntN(len(b))]
		}
		if m := medianOf(rb); m != 0 {
			ratios = append(ratios, medianOf(ra)/m)
		}
	}
	if len(ratios) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(ratios)
	return ratios[len(ratios)*25/1000], ratios[len(ratios)*975/1000-1]
}

// judged is one ratio with its confidence interval and its verdict.
type judged struct {
	ratio, lo, hi float64
	verdict       string // "met", "missed", "n.s." or "" (no data)
}

func judge(r *results, key, unit, other string) judged {
	a, b := r.samples[key][ours][unit], r.samples[key][other][unit]
	j := judged{ratio: math.NaN(), lo: math.NaN(), hi: math.NaN()}
	ma, mb := medianOf(a), medianOf(b)
	if math.IsNaN(ma) || math.IsNaN(mb) {
		return j
	}
	if mb == 0 {
		if ma == 0 {
			j.ratio, j.lo, j.hi, j.verdict = 1, 1, 1, "met"
		}
		return j
	}
	j.ratio = ma / mb
	j.lo, j.hi = interval(a, b)
	switch {
	case math.IsNaN(j.lo):
		j.verdict = "n.s."
	case j.hi <= target:
		j.verdict = "met"
	case j.lo > target:
		j.verdict = "missed"
	default:
		j.verdict = "n.s."
	}
	return j
}

func (j judged) String() string {
	if math.IsNaN(j.ratio) {
		return "-"
	}
	if math.IsNaN(j.lo) {
		return fmt.Sprintf("%.2f", j.ratio)
	}
	mark := map[string]string{"met": "", "missed": " ✗", "n.s.": " ?"}[j.verdict]
	return fmt.Sprintf("%.2f [%.2f–%.2f]%s", j.ratio, j.lo, j.hi, mark)
}

// judgedUnits are the units with a target, in table order.
var judgedUnits = []string{unitInstr, unitTime, unitCPU, unitBytes, unitAllocs, unitCookie}

// verdict sums up key's judgements against the hand-written code: "met"
// when every unit with data met the target, otherwise the units that
// missed it and those that were not significant.
func verdict(r *results, key string) string {
	var missed, ns []string
	for _, unit := range judgedUnits {
		switch j := judge(r, key, unit, handwritten); j.verdict {
		case "missed":
			missed = append(missed, fmt.Sprintf("%s %.2f", unit, j.ratio))
		case "n.s.":
			ns = append(ns, unit)
		}
	}
	switch {
	case len(missed) > 0 && len(ns) > 0:
		return "missed: " + strings.Join(missed, ", ") + "; n.s.: " + strings.Join(ns, ", ")
	case len(missed) > 0:
		return "missed: " + strings.Join(missed, ", ")
	case len(ns) > 0:
		return "met where significant; n.s.: " + strings.Join(ns, ", ")
	}
	return "met"
}

// hasUnit reports whether any benchmark has samples in unit.
func (r *results) hasUnit(unit string) bool {
	for _, byImpl := range r.samples {
		for _, byUnit := range byImpl {
			if len(byUnit[unit]) > 0 {
				return true
			}
		}
	}
	return false
}

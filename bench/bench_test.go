package bench

// The benchmarks. Names are key=value pairs, so benchstat and cmd/ratios
// can line the implementations up:
//
//	BenchmarkFlow/provider=canned/run=seq/phase=callback/impl=ginoauth
//
// provider: canned (in-process provider: library overhead) or loopback
// (app and provider over loopback HTTP, the provider answering after
// GINOAUTH_BENCH_LATENCY, default 2ms). run: seq or par (b.RunParallel).
// phase: login, callback, full (login, callback, one API call), api-session
// and api-gorm (an API call with the token stored in the cookie session or
// in SQLite through GORM), refresh (an API call whose stored token must be
// refreshed and saved first). Each op is checked; cookie-B/op is the
// Set-Cookie bytes the app sent per op, cpu-ns/op the process CPU time
// (user and system, all goroutines, GC included) per op, which other
// processes competing for the CPU inflate much less than ns/op.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func benchLatency(tb testing.TB) time.Duration {
	v := os.Getenv("GINOAUTH_BENCH_LATENCY")
	if v == "" {
		return 2 * time.Millisecond
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		tb.Fatalf("GINOAUTH_BENCH_LATENCY: %v", err)
	}
	return d
}

type phase struct {
	name string
	// options adjusts the harness for the phase.
	options func(o *Options, tb testing.TB)
	// prepare makes a browser ready for the timed steps (untimed, once per
	// browser for repeatable phases; nil for per-op browsers).
	prepare func(br *Browser) error
	// step is one timed op.
	step func(br *Browser) error
	// perOp gives every op a fresh browser; its untimed part is prepare.
	perOp bool
	// parallel says whether the phase has a b.RunParallel variant (a
	// phase with an untimed part per op cannot).
	parallel bool
	// check verifies the provider's counters after n ops.
	check func(before, after Counts, n int64) error
}

var phases = []phase{
	{
		name:     "login",
		perOp:    true,
		parallel: true,
		step: func(br *Browser) error {
			_, err := br.Login()
			return err
		},
	},
	{
		name:  "callback",
		perOp: true,
		prepare: func(br *Browser) error {
			authURL, err := br.Login()
			if err != nil {
				return err
			}
			br.pending, err = br.Authorize(authURL)
			br.CookieBytes = 0
			return err
		},
		step:  func(br *Browser) error { return br.Callback(br.pending) },
		check: wantExchanges,
	},
	{
		name:     "full",
		perOp:    true,
		parallel: true,
		step:     (*Browser).FullFlow,
		check:    wantExchanges,
	},
	{
		name:     "api-session",
		parallel: true,
		prepare:  (*Browser).LogIn,
		step:     (*Browser).API,
		check:    wantAPICalls,
	},
	{
		name: "api-gorm",
		options: func(o *Options, tb testing.TB) {
			o.Storage = GORMStorage
			o.DBPath = filepath.Join(tb.TempDir(), "tokens.db")
		},
		parallel: true,
		prepare:  (*Browser).LogIn,
		step:     (*Browser).API,
		check:    wantAPICalls,
	},
	{
		name:     "refresh",
		options:  func(o *Options, _ testing.TB) { o.ShortLived = true },
		parallel: true,
		prepare:  (*Browser).LogIn,
		step:     (*Browser).RefreshingAPI,
		check: func(before, after Counts, n int64) error {
			if got := after.Refreshes - before.Refreshes; got != n {
				return fmt.Errorf("provider served %d refreshes for %d ops, want one each", got, n)
			}
			return wantAPICalls(before, after, n)
		},
	},
}

func wantExchanges(before, after Counts, n int64) error {
	if got := after.Exchanges - before.Exchanges; got != n {
		return fmt.Errorf("provider exchanged %d codes for %d ops, want one each", got, n)
	}
	return nil
}

func wantAPICalls(before, after Counts, n int64) error {
	if got := after.APICalls - before.APICalls; got != n {
		return fmt.Errorf("provider answered %d API calls for %d ops, want exactly one each", got, n)
	}
	return nil
}

func BenchmarkFlow(b *testing.B) {
	for _, provider := range []string{"canned", "loopback"} {
		for _, run := range []string{"seq", "par"} {
			for _, ph := range phases {
				if run == "par" && !ph.parallel {
					continue
				}
				for _, impl := range Impls {
					opts := Options{Impl: impl, Loopback: provider == "loopback"}
					name := fmt.Sprintf("provider=%s/run=%s/phase=%s/impl=%s", provider, run, ph.name, impl)
					b.Run(name, func(b *testing.B) {
						if opts.Loopback {
							opts.Latency = benchLatency(b)
						}
						if ph.options != nil {
							ph.options(&opts, b)
						}
						h, err := New(opts)
						if errors.Is(err, ErrUnsupported) {
							b.Skipf("%s: %v", impl, err)
						}
						if err != nil {
							b.Fatal(err)
						}
						defer h.Close()
						if run == "seq" {
							benchSeq(b, h, ph)
						} else {
							benchPar(b, h, ph)
						}
					})
				}
			}
		}
	}
}

// cpuMeter adds up the process CPU time spent while it runs, alongside
// the benchmark timer.
type cpuMeter struct {
	total, start time.Duration
	ok           bool
}

func (m *cpuMeter) Start() { m.start, m.ok = processCPU() }

func (m *cpuMeter) Stop() {
	if now, ok := processCPU(); ok && m.ok {
		m.total += now - m.start
	} else {
		m.ok = false
	}
}

func benchSeq(b *testing.B, h *Harness, ph phase) {
	var br *Browser
	if !ph.perOp {
		br = h.NewBrowser()
		if err := ph.prepare(br); err != nil {
			b.Fatal(err)
		}
		br.CookieBytes = 0
	}
	before := h.Provider.Counts()
	var n, cookieBytes int64
	var cpu cpuMeter
	b.ReportAllocs()
	b.ResetTimer()
	cpu.Start()
	for ; n < int64(b.N); n++ {
		if ph.perOp {
			if ph.prepare != nil {
				// The untimed part of the op: off both clocks.
				cpu.Stop()
				b.StopTimer()
				br = h.NewBrowser()
				if err := ph.prepare(br); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				cpu.Start()
			} else {
				br = h.NewBrowser()
			}
		}
		if err := ph.step(br); err != nil {
			b.Fatal(err)
		}
		if ph.perOp {
			cookieBytes += br.CookieBytes
		}
	}
	cpu.Stop()
	b.StopTimer()
	if !ph.perOp {
		cookieBytes = br.CookieBytes
	}
	finish(b, h, ph, before, n, cookieBytes, cpu)
}

func benchPar(b *testing.B, h *Harness, ph phase) {
	// One prepared browser per goroutine, made before the clock and the
	// provider's counters start.
	ready := make(chan *Browser, runtime.GOMAXPROCS(0))
	for range cap(ready) {
		br := h.NewBrowser()
		if !ph.perOp {
			if err := ph.prepare(br); err != nil {
				b.Fatal(err)
			}
			br.CookieBytes = 0
		}
		ready <- br
	}
	before := h.Provider.Counts()
	var n, cookieBytes atomic.Int64
	var cpu cpuMeter
	b.ReportAllocs()
	b.ResetTimer()
	cpu.Start()
	b.RunParallel(func(pb *testing.PB) {
		br := <-ready
		for pb.Next() {
			if ph.perOp {
				br = h.NewBrowser()
			}
			if err := ph.step(br); err != nil {
				b.Error(err)
				return
			}
			n.Add(1)
			if ph.perOp {
				cookieBytes.Add(br.CookieBytes)
			}
		}
		if !ph.perOp {
			cookieBytes.Add(br.CookieBytes)
		}
	})
	cpu.Stop()
	b.StopTimer()
	if b.Failed() {
		return
	}
	finish(b, h, ph, before, n.Load(), cookieBytes.Load(), cpu)
}

func finish(b *testing.B, h *Harness, ph phase, before Counts, n, cookieBytes int64, cpu cpuMeter) {
	if n != int64(b.N) {
		b.Fatalf("ran %d ops, want %d", n, b.N)
	}
	if ph.check != nil {
		if err := ph.check(before, h.Provider.Counts(), n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cookieBytes)/float64(n), "cookie-B/op")
	if cpu.ok {
		b.ReportMetric(float64(cpu.total.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}

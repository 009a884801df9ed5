package bench_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth/bench"
)

// Each implementation runs the same GitHub login against the same
// provider; the provider's counters show what the flow did.
func Example() {
	for _, impl := range bench.Impls {
		h, err := bench.New(bench.Options{Impl: impl})
		if err != nil {
			log.Fatal(err)
		}
		br := h.NewBrowser()
		// Login, approval, callback (token and profile), one API call.
		if err := br.FullFlow(); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %+v\n", impl, h.Provider.Counts())
		h.Close()
	}
	// Output:
	// handwritten: {Exchanges:1 Refreshes:0 APICalls:2}
	// gothic: {Exchanges:1 Refreshes:0 APICalls:2}
	// ginoauth: {Exchanges:1 Refreshes:0 APICalls:2}
}

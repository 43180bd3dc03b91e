// Package parallel runs independent jobs on every core.
package parallel

import (
	"runtime"
	"sync"

	"github.com/goautopipe/diffusers/internal/panics"
)

// For calls f(i) for every i in [0, n), on up to GOMAXPROCS goroutines,
// and returns when all calls have returned.
func For(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	var relay panics.Relay // a panic in f reaches the caller, not the runtime
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer relay.Catch()
			for i := range next {
				f(i)
			}
		}()
	}
	wg.Wait()
	relay.Raise()
}

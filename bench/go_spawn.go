// Spawn + join latency of one goroutine at a time, the anchor of
// bench/spawn_go.py: start a goroutine that does nothing, wait until it
// has ended (a channel receive, Go's join), then the next. Prints the
// ns per spawn + join of each of -r runs of -n iterations, one a line.
//
// usage: go_spawn [-n N] [-r REPS]   (run with GOMAXPROCS=1 to compare
// with one hub)
package main

import (
	"flag"
	"fmt"
	"time"
)

func main() {
	n := flag.Int("n", 200000, "iterations per run")
	reps := flag.Int("r", 5, "runs")
	flag.Parse()
	done := make(chan struct{})
	body := func() { done <- struct{}{} }
	for i := 0; i < *n/20+1; i++ { // warm-up: stacks cached, as for C
		go body()
		<-done
	}
	for r := 0; r < *reps; r++ {
		t0 := time.Now()
		for i := 0; i < *n; i++ {
			go body()
			<-done
		}
		fmt.Printf("%.1f\n", float64(time.Since(t0).Nanoseconds())/float64(*n))
	}
}

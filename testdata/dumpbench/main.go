// Command dumpbench starts N goroutines in a realistic mix of leak patterns
// (blocked channel sends from several distinct `go` statements, tickers never
// stopped, select{} waits, mutex and WaitGroup waits, channel receives), then
// writes the goroutine profile as a debug=2 traceback dump and as a debug=0
// gzipped profile.proto, and exits. scripts/bench-dumps.sh runs it twice
// (before, and after with -extra) and times `leakgate dump` / `leakgate diff`
// next to `go tool pprof -top` / `-diff_base` on the result.
//
//	go run . -n 100000 -out /tmp/before            # before.debug2.txt, before.pb.gz
//	go run . -n 100000 -extra 5000 -out /tmp/after # + 5000 in two groups
//
// The groups and their shares of N are in the groups table below; each has
// its own `go` statement in its own function, so leakgate groups them by
// creator and pprof by stack. -extra K adds K goroutines to each of the two
// groups marked grows (the "leak" between the two dumps).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

// Things the goroutines block on forever. Nobody reads the channels, the
// mutexes stay locked, the WaitGroup is never done.
var (
	neverRead  = make(chan int)
	neverSent  = make(chan int)
	heldMu     sync.Mutex
	heldRW     sync.RWMutex
	neverDone  sync.WaitGroup
	neverCond  = sync.NewCond(&sync.Mutex{})
	started    sync.WaitGroup
	tickPeriod = time.Hour
)

type group struct {
	name  string
	share float64 // of N
	grows bool    // gets -extra more in the "after" dump
	start func()  // starts one goroutine from its own `go` statement
}

// A skewed mix, as in a service after a day: one handler leak dominates.
var groups = []group{
	{"handler result send (timeout)", 0.40, true, startHandlerResultSend},
	{"fan-out worker send", 0.15, false, startFanoutSend},
	{"ticker loop never stopped", 0.10, true, startTickerLoop},
	{"event publisher send", 0.08, false, startPublisherSend},
	{"select{} forever", 0.06, false, startSelectForever},
	{"mutex wait", 0.05, false, startMutexWait},
	{"subscriber receive", 0.04, false, startSubscriberRecv},
	{"rwmutex reader wait", 0.03, false, startRWMutexWait},
	{"waitgroup wait", 0.025, false, startWaitGroupWait},
	{"cond wait", 0.02, false, startCondWait},
	{"retry send with select", 0.02, false, startRetrySelectSend},
	{"timer + chan select", 0.015, false, startTimerSelect},
	{"nested helper send", 0.01, false, startNestedSend},
	{"sleep loop", 0.005, false, startSleepLoop},
}

func main() {
	n := flag.Int("n", 100000, "goroutines to start (split across the groups)")
	extra := flag.Int("extra", 0, "goroutines added to each of the two growing groups")
	out := flag.String("out", "dump", "output prefix: PREFIX.debug2.txt and PREFIX.pb.gz")
	flag.Parse()

	heldMu.Lock()
	heldRW.Lock()
	neverDone.Add(1)

	total := 0
	for i, g := range groups {
		k := int(float64(*n) * g.share)
		if i == 0 { // the remainder, so the total is exactly n (+ extras)
			k = *n
			for _, h := range groups[1:] {
				k -= int(float64(*n) * h.share)
			}
		}
		if g.grows {
			k += *extra
		}
		started.Add(k)
		for j := 0; j < k; j++ {
			g.start()
		}
		total += k
	}
	started.Wait()
	// Let the ones that signal before blocking reach their wait.
	for i := 0; i < 50; i++ {
		runtime.Gosched()
	}
	time.Sleep(200 * time.Millisecond)

	write(*out+".debug2.txt", 2)
	write(*out+".pb.gz", 0)
	fmt.Fprintf(os.Stderr, "dumpbench: %d goroutines started (n=%d extra=%d), %d running; wrote %s.debug2.txt, %s.pb.gz\n",
		total, *n, *extra, runtime.NumGoroutine(), *out, *out)
}

func write(path string, debug int) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, debug); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func startHandlerResultSend() { go handlerWork(neverRead) }

func handlerWork(result chan<- int) {
	started.Done()
	result <- 42
}

func startFanoutSend() { go fanoutWorker(7) }

func fanoutWorker(id int) {
	started.Done()
	neverRead <- id
}

func startTickerLoop() { go tickerLoop() }

func tickerLoop() {
	t := time.NewTicker(tickPeriod)
	started.Done()
	for range t.C {
	}
}

func startPublisherSend() { go publish("event") }

func publish(ev string) {
	started.Done()
	neverRead <- len(ev)
}

func startSelectForever() { go selectForever() }

func selectForever() {
	started.Done()
	select {}
}

func startMutexWait() { go mutexWait() }

func mutexWait() {
	started.Done()
	heldMu.Lock()
}

func startSubscriberRecv() { go subscriber() }

func subscriber() {
	started.Done()
	for v := range neverSent {
		_ = v
	}
}

func startRWMutexWait() { go rwReader() }

func rwReader() {
	started.Done()
	heldRW.RLock()
}

func startWaitGroupWait() { go waitGroupWait() }

func waitGroupWait() {
	started.Done()
	neverDone.Wait()
}

func startCondWait() { go condWait() }

func condWait() {
	neverCond.L.Lock()
	started.Done()
	neverCond.Wait()
}

func startRetrySelectSend() { go retrySend() }

func retrySend() {
	started.Done()
	select {
	case neverRead <- 1:
	case <-neverSent:
	}
}

func startTimerSelect() { go timerSelect() }

func timerSelect() {
	t := time.NewTimer(tickPeriod)
	started.Done()
	select {
	case <-t.C:
	case <-neverSent:
	}
}

func startNestedSend() { go nestedOuter() }

func nestedOuter() { nestedInner() }

func nestedInner() {
	started.Done()
	neverRead <- 3
}

func startSleepLoop() { go sleepLoop() }

func sleepLoop() {
	started.Done()
	for {
		time.Sleep(tickPeriod)
	}
}

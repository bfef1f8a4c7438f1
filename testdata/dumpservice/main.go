// Command dumpservice is a small HTTP service that leaks goroutines per
// request in the patterns of /work/shared/seed/goroutine-leaks-article.txt,
// with net/http/pprof on the same loopback listener. leakgate's tests and
// scripts/regen-dump-fixtures.sh start it, take goroutine dumps before and
// after a bounded number of requests, and check what grew.
//
// Each leaking endpoint starts its goroutine from its own `go` statement in
// its own function (see README.md for the line numbers):
//
//	/leak/timeout  leakTimeoutWork: result sent on an unbuffered channel
//	               that nobody reads after the handler's timeout
//	               → blocked in "chan send" forever
//	/leak/ticker   leakTickerLoop: time.NewTicker never stopped, `for range t.C`
//	               (started by startLeakTicker under pprof labels endpoint=ticker)
//	/leak/client   leakClientRequest: a per-request http.Client with its own
//	               Transport, body read and closed, CloseIdleConnections never
//	               called → the Transport's persistConn readLoop/writeLoop stay,
//	               and so does this server's conn.serve for that connection
//	/clean         cleanTimeoutWork: the /leak/timeout work with a buffered
//	               channel → the goroutine exits, nothing grows
//	/ok            "ok"
//	/stack         runtime.Stack(buf, true) of all goroutines
//	/debug/pprof/  net/http/pprof (goroutineleak: Go 1.27, or Go 1.26 built
//	               with GOEXPERIMENT=goroutineleakprofile)
//
// On start it prints exactly one line, "listening on http://127.0.0.1:PORT",
// to stdout and serves until killed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// workDuration is how long the timeout work takes; handlerTimeout is how
// long /leak/timeout and /clean wait for it (shorter, so they give up).
const (
	workDuration   = 100 * time.Millisecond
	handlerTimeout = 10 * time.Millisecond
	tickerPeriod   = time.Hour
)

// selfURL is the service's own base URL, for /leak/client.
var selfURL string

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	selfURL = "http://" + ln.Addr().String()

	mux := http.DefaultServeMux // net/http/pprof registered /debug/pprof/ here
	mux.HandleFunc("/ok", handleOK)
	mux.HandleFunc("/stack", handleStack)
	mux.HandleFunc("/leak/timeout", handleLeakTimeout)
	mux.HandleFunc("/leak/ticker", handleLeakTicker)
	mux.HandleFunc("/leak/client", handleLeakClient)
	mux.HandleFunc("/clean", handleClean)

	fmt.Fprintf(os.Stdout, "listening on %s\n", selfURL)
	os.Stdout.Sync()

	log.Fatal(http.Serve(ln, mux))
}

func handleOK(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "ok")
}

// handleStack writes runtime.Stack(buf, true), growing buf until it fits.
func handleStack(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(buf)
}

// ---------------------------------------------------------------- /leak/timeout

func handleLeakTimeout(w http.ResponseWriter, r *http.Request) {
	result := make(chan string) // unbuffered: the send blocks until someone reads
	go leakTimeoutWork(result)
	select {
	case s := <-result:
		io.WriteString(w, s)
	case <-time.After(handlerTimeout):
		http.Error(w, "timeout", http.StatusGatewayTimeout)
	}
}

// leakTimeoutWork takes longer than the handler waits, then sends its
// result; the handler has returned, so the send blocks forever.
func leakTimeoutWork(result chan<- string) {
	time.Sleep(workDuration)
	result <- "done"
}

// ---------------------------------------------------------------- /clean

func handleClean(w http.ResponseWriter, r *http.Request) {
	result := make(chan string, 1) // buffered: the send never blocks
	go cleanTimeoutWork(result)
	select {
	case s := <-result:
		io.WriteString(w, s)
	case <-time.After(handlerTimeout):
		http.Error(w, "timeout", http.StatusGatewayTimeout)
	}
}

// cleanTimeoutWork is leakTimeoutWork with a buffered channel: it exits.
func cleanTimeoutWork(result chan<- string) {
	time.Sleep(workDuration)
	result <- "done"
}

// ---------------------------------------------------------------- /leak/ticker

func handleLeakTicker(w http.ResponseWriter, r *http.Request) {
	// The goroutine inherits the labels, so debug=1 dumps show a
	// "# labels:" line for it.
	pprof.Do(context.Background(), pprof.Labels("endpoint", "ticker"), startLeakTicker)
	io.WriteString(w, "ticker started")
}

// startLeakTicker runs under the labels set by handleLeakTicker; its `go`
// statement is the creator of every leaked ticker goroutine.
func startLeakTicker(context.Context) {
	go leakTickerLoop()
}

// leakTickerLoop loops over a ticker that is never stopped and never exits.
func leakTickerLoop() {
	t := time.NewTicker(tickerPeriod)
	for range t.C {
	}
}

// ---------------------------------------------------------------- /leak/client

func handleLeakClient(w http.ResponseWriter, r *http.Request) {
	if err := leakClientRequest(); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	io.WriteString(w, "client done")
}

// leakClientRequest makes a request with its own Transport and never calls
// CloseIdleConnections: the idle keep-alive connection keeps the
// Transport's readLoop and writeLoop goroutines (started by the `go`
// statements in net/http's Transport.dialConn) and this server's
// conn.serve goroutine alive.
func leakClientRequest() error {
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get(selfURL + "/ok")
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}

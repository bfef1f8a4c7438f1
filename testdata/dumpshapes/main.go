// Command dumpshapes prints goroutine dumps in the shapes that a plain
// net/http/pprof service does not show: goroutines that C called into
// (cgo callbacks, no `created by`), a finalizer blocked in user code (its
// creator is the runtime's, so no `created by` either), a goroutine
// blocked in C, and the crash dumps of SIGQUIT and panic under each
// GOTRACEBACK level, and runtime.Stack with a buffer too small for the
// dump. scripts/regen-dump-shapes.sh captures them as fixtures.
//
//	dumpshapes stack      runtime.Stack(buf, true) on standard output
//	dumpshapes stackbuf   the same into a 600-byte buffer (cut)
//	dumpshapes quit       SIGQUIT to itself (the dump is on standard error)
//	dumpshapes panic      an unrecovered panic (standard error)
package main

/*
#include <pthread.h>
#include <unistd.h>
extern void goCallback(void);
static void* thr(void* a) { goCallback(); return 0; }
static void startC(int n) { for (int i = 0; i < n; i++) { pthread_t t; pthread_create(&t, 0, thr, 0); } }
static void blockInC(void) { sleep(1000); }
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

var block = make(chan int)

//export goCallback
func goCallback() { <-block }

func worker() { <-block }

type resource struct{ b [64]byte }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dumpshapes stack|stackbuf|quit|panic")
		os.Exit(2)
	}
	C.startC(3)
	for i := 0; i < 7; i++ {
		go worker()
	}
	go func() { C.blockInC() }()
	r := &resource{}
	runtime.SetFinalizer(r, func(*resource) { <-block })
	r = nil
	runtime.GC()
	runtime.GC()
	time.Sleep(200 * time.Millisecond)
	switch os.Args[1] {
	case "stack", "stackbuf":
		size := 1 << 20
		if os.Args[1] == "stackbuf" {
			size = 600
		}
		buf := make([]byte, size)
		n := runtime.Stack(buf, true)
		os.Stdout.Write(buf[:n])
	case "quit":
		syscall.Kill(os.Getpid(), syscall.SIGQUIT)
		time.Sleep(time.Second)
	case "panic":
		panic("dumpshapes: the panic asked for")
	}
}

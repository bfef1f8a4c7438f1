// Package errorfleak: tests that leak a goroutine (allowed by the policy)
// and also fail in another way: t.Errorf, t.Fatal, t.Log + t.FailNow, a
// silent t.Fail.
// TestOnlyLeak is the control: its only failure is the leak.
package errorfleak

func blockErrorf(ch chan struct{})   { <-ch }
func blockFatal(ch chan struct{})    { <-ch }
func blockCleanup(ch chan struct{})  { <-ch }
func blockFailNow(ch chan struct{})  { <-ch }
func blockOnlyLeak(ch chan struct{}) { <-ch }
func blockFail(ch chan struct{})     { <-ch }

// Each Start* leaks one goroutine blocked forever on a channel receive.
func StartErrorf()   { go blockErrorf(make(chan struct{})) }
func StartFatal()    { go blockFatal(make(chan struct{})) }
func StartCleanup()  { go blockCleanup(make(chan struct{})) }
func StartFailNow()  { go blockFailNow(make(chan struct{})) }
func StartOnlyLeak() { go blockOnlyLeak(make(chan struct{})) }
func StartFail()     { go blockFail(make(chan struct{})) }

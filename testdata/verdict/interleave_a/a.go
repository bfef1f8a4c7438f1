// Package interleave_a has a test TestSame/sub whose only failure is an
// allowed leak. Package interleave_b has a test of the same name that fails
// with no message; both are run together (go test -json -p 2) so that their
// events interleave in one stream.
package interleave_a

import "time"

func blockInterleaveA(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockInterleaveA(make(chan struct{})) }

// Step is the pause between the small tests, so that both packages' test
// binaries run at the same time.
const Step = 40 * time.Millisecond

// Package timeout: one test leaks a goroutine allowed by the policy, the
// next blocks forever, so `go test -timeout 5s` kills the binary.
package timeout

func blockTimeout(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockTimeout(make(chan struct{})) }

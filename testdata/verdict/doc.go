// Package verdict is the root of the Go module whose packages reproduce the
// verdict regression cases of leakgate: runs that really failed and also
// leak a goroutine that the policy allows. See README.md.
package verdict

// Package assertlibs is the root of the Go module whose packages fail the way
// Go's assertion libraries and the runtime make tests fail, so that leakgate's
// failure headlines are checked on real output. See README.md.
package assertlibs

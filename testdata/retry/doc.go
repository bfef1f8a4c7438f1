// Module retry holds the Go packages of leakgate's retry regression tests:
// leaks that happen on every run, and leaks that happen only on the first
// run, each started by the test that reports them or by an earlier test of
// the same binary. See README.md.
package retry

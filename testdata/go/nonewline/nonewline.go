// Package nonewline has tests that print text without a trailing newline,
// so that go test -v prints the next framing line in the middle of a line
// (`done--- PASS: TestDone (0.00s)`).
package nonewline

import "fmt"

// Work prints its argument without a newline.
func Work(s string) { fmt.Print(s) }

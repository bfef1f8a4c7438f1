// Package interleave_b has TestSame/sub, the same name as in interleave_a,
// which fails with t.Fail() and no message: only --- FAIL lines.
package interleave_b

import "time"

// Step is the pause between the small tests (as in interleave_a).
const Step = 40 * time.Millisecond

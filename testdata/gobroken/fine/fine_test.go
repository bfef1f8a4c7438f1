// Package fine builds and passes, next to a package that does not build.
package fine

import "testing"

func TestFine(t *testing.T) {}

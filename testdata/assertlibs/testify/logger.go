// Package testify: failing testify assert and require calls.
package testify

import "testing"

// Lifecycle logs the way go.uber.org/fx's test logger does, from this
// non-test file and without t.Helper(): "logger.go:NN: [Fx] ...".
func Lifecycle(t testing.TB) {
	t.Logf("[Fx] PROVIDE\t*sql.DB <= main.NewDB()")
	t.Logf("[Fx] HOOK OnStart\tmain.NewDB.func1() executing (caller: main.run)")
	t.Logf("[Fx] RUNNING")
}

// Package chatty: tests that log a lot through a helper in this non-test
// file (the helper does not call t.Helper(), so the lines read
// "logger.go:NN: [Fx] ..."), like go.uber.org/fx's test logger.
package chatty

import "testing"

// Hook logs a lifecycle hook the way fx's test logger does.
func Hook(t testing.TB, event, name string) {
	t.Logf("[Fx] HOOK %s\t%s executing (caller: main.run)", event, name)
}

// Lifecycle logs a whole start and stop.
func Lifecycle(t testing.TB) {
	t.Logf("[Fx] PROVIDE\t*sql.DB <= main.NewDB()")
	Hook(t, "OnStart", "main.NewDB.func1()")
	Hook(t, "OnStart", "main.NewServer.func1()")
	t.Logf("[Fx] RUNNING")
	Hook(t, "OnStop", "main.NewServer.func2()")
}

func blockChatty(ch chan struct{})     { <-ch }
func blockChattyOnly(ch chan struct{}) { <-ch }

// StartLeak leaks one goroutine blocked forever on a channel receive.
func StartLeak() { go blockChatty(make(chan struct{})) }

// StartLeakOnly leaks another, for the test whose only failure is the leak.
func StartLeakOnly() { go blockChattyOnly(make(chan struct{})) }

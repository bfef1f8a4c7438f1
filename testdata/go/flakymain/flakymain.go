// Package flakymain leaks only on the first attempt, like package flaky, but
// is checked with goleak.VerifyTestMain, so the failure is package-level.
// The marker file is named by LEAKGATE_FLAKY_MAIN_MARKER.
package flakymain

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// FirstAttempt reports whether the marker file named by the environment
// variable env is missing, and creates it.
func FirstAttempt(env string) bool {
	path := os.Getenv(env)
	if path == "" {
		return false
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err := os.WriteFile(path, []byte("first attempt done\n"), 0o644); err != nil {
		return false
	}
	return true
}

// WarmCache fills a cache in the background; the goroutine ends after d.
func WarmCache(d time.Duration) {
	go func() {
		time.Sleep(d)
	}()
}

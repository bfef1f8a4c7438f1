// Package marker tells a first run from a rerun with a marker file.
package marker

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Dir is the environment variable naming the directory of marker files.
const Dir = "LEAKGATE_RETRY_MARKERS"

// FirstRun reports whether the marker file name in the directory named by
// $LEAKGATE_RETRY_MARKERS is missing, and creates it. Without the variable
// it reports false: nothing flaky happens unless a test run asks for it.
func FirstRun(name string) bool {
	dir := os.Getenv(Dir)
	if dir == "" {
		return false
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err := os.WriteFile(path, []byte("first run done\n"), 0o644); err != nil {
		return false
	}
	return true
}

// SlowShutdown starts a goroutine that ends on its own after d, like a
// connection that finishes closing a moment late: a leak only for a check
// that runs before then (goleak gives up after about 0.45s).
func SlowShutdown(d time.Duration) {
	go func() {
		time.Sleep(d)
	}()
}

// Package deephelper leaks a goroutine started deep inside a helper chain:
// NewService -> openResources -> pool.New -> (*Pool).warmUp -> startReaper,
// and the `go` statement lives in the last one, in an internal subpackage.
package deephelper

import (
	"time"

	"example.com/leakgate/fixtures/deephelper/internal/pool"
)

// Config configures a Service.
type Config struct {
	PoolSize     int
	ReapInterval time.Duration
}

// Service owns a connection pool.
type Service struct {
	pool *pool.Pool
}

// NewService builds a Service. There is no Close method, so the pool's
// reaper goroutine can never be stopped.
func NewService(cfg Config) *Service {
	return &Service{pool: openResources(cfg)}
}

func openResources(cfg Config) *pool.Pool {
	size := cfg.PoolSize
	if size <= 0 {
		size = 4
	}
	return pool.New(size, cfg.ReapInterval)
}

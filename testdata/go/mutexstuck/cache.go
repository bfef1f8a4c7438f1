// Package mutexstuck leaks a goroutine blocked forever on a sync.Mutex that
// an error path forgot to unlock.
package mutexstuck

import (
	"errors"
	"sync"
)

var errEmptyKey = errors.New("mutexstuck: empty key")

// Cache is a tiny map guarded by a mutex.
type Cache struct {
	mu      sync.Mutex
	entries map[string]string
	loads   int
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{entries: map[string]string{}}
}

// Put stores v under k. BUG: the error path returns with the lock held.
func (c *Cache) Put(k, v string) error {
	c.mu.Lock()
	if k == "" {
		return errEmptyKey // forgot c.mu.Unlock()
	}
	c.entries[k] = v
	c.mu.Unlock()
	return nil
}

// RefreshAsync reloads the cache in the background.
func (c *Cache) RefreshAsync() {
	go c.refresh()
}

func (c *Cache) refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loads++
}

package mutexstuck

import (
	"testing"

	"go.uber.org/goleak"
)

func TestRefreshBlockedOnMutex(t *testing.T) {
	defer goleak.VerifyNone(t)

	c := NewCache()
	if err := c.Put("", "x"); err == nil {
		t.Fatal("Put with empty key: want error")
	}
	c.RefreshAsync() // blocks forever: the lock was never released
}

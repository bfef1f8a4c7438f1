package deephelper

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestServiceWithoutClose(t *testing.T) {
	defer goleak.VerifyNone(t)

	svc := NewService(Config{PoolSize: 2, ReapInterval: time.Minute})
	if svc.pool == nil {
		t.Fatal("no pool")
	}
}

package perevent

import (
	"testing"

	"go.uber.org/goleak"
)

func TestEventsPileUp(t *testing.T) {
	defer goleak.VerifyNone(t)

	c := NewConsumer(make(chan Event))
	for i := 1; i <= 5; i++ {
		c.OnEvent(Event{ID: i, Topic: "orders"})
	}
}

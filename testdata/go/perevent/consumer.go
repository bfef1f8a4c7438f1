// Package perevent leaks one goroutine per event: each event is forwarded to
// a downstream channel that nobody drains.
package perevent

// Event is a message from the bus.
type Event struct {
	ID    int
	Topic string
}

// Consumer forwards events downstream, one goroutine per event.
type Consumer struct {
	downstream chan<- Event
}

// NewConsumer returns a consumer that forwards to downstream.
func NewConsumer(downstream chan<- Event) *Consumer {
	return &Consumer{downstream: downstream}
}

// OnEvent is called by the bus for every message. It must not block, so it
// hands the event to a new goroutine.
func (c *Consumer) OnEvent(e Event) {
	go c.forward(e)
}

func (c *Consumer) forward(e Event) {
	c.downstream <- e // blocks forever: the downstream service is stuck
}

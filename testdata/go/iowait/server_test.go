package iowait

import (
	"net"
	"testing"

	"go.uber.org/goleak"
)

// clients keeps the client connections reachable so that no finalizer
// closes them while goleak is looking.
var clients []net.Conn

func TestIdleClientKeepsHandlerReading(t *testing.T) {
	defer goleak.VerifyNone(t)

	s, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	clients = append(clients, conn)
	// Neither the client nor the server is ever closed.
}

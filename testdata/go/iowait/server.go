// Package iowait leaks goroutines in "IO wait": an accept loop on a loopback
// listener and a connection handler reading from a client that never sends
// anything and never hangs up.
package iowait

import (
	"bufio"
	"net"
)

// Server echoes lines back to its clients.
type Server struct {
	ln net.Listener
}

// Listen starts a server on a loopback port chosen by the kernel.
func Listen() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln}
	go s.acceptLoop()
	return s, nil
}

// Addr is the address clients dial.
func (s *Server) Addr() string { return s.ln.Addr().String() }

func (s *Server) acceptLoop() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(conn)
	}
}

func (s *Server) handle(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := conn.Write([]byte(line)); err != nil {
			return
		}
	}
}

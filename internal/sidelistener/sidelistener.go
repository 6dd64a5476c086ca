// Package sidelistener runs an HTTP server on a listener of its own, apart
// from the public API (the debug and health listeners), and closes it at
// once when the process stops.
package sidelistener

import (
	"errors"
	"fmt"
	"net"
	"net/http"
)

// Server is a running listener.
type Server struct {
	http *http.Server
	name string
	addr string
	done chan error
}

// Start listens on addr, the value of the configuration key key, and serves
// srv until Stop; name ("debug listener") names it in errors.
func Start(name, key, addr string, srv *http.Server) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s %s: %w", key, addr, err)
	}
	s := &Server{http: srv, name: name, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { s.done <- s.http.Serve(ln) }()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.addr }

// Stop closes the listener and its connections at once: a request in
// progress is cut off rather than holding the process's shutdown.
func (s *Server) Stop() error {
	if err := s.http.Close(); err != nil {
		return fmt.Errorf("close %s %s: %w", s.name, s.addr, err)
	}
	if err := <-s.done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s %s: %w", s.name, s.addr, err)
	}
	return nil
}

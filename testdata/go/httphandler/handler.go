// Package httphandler leaks a goroutine started by an HTTP handler that
// outlives the request.
package httphandler

import (
	"io"
	"net/http"
)

// AuditLog receives one entry per request. Nobody drains it.
type AuditLog chan string

// Handler answers "ok" and records the request path in the background.
// The background goroutine blocks forever sending to the undrained log.
func Handler(log AuditLog) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		go func() {
			log <- path
		}()
		io.WriteString(w, "ok\n")
	})
}

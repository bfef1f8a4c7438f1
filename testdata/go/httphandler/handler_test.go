package httphandler

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"
)

func get(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestHandlerGoroutineOutlivesRequest(t *testing.T) {
	defer goleak.VerifyNone(t)

	srv := httptest.NewServer(Handler(make(AuditLog)))
	get(t, srv.URL+"/orders/17")
	srv.Close()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// TestServerNotClosed forgets srv.Close(): the report also lists net/http's
// own server and client connection goroutines.
func TestServerNotClosed(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	srv := httptest.NewServer(Handler(make(AuditLog, 1)))
	get(t, srv.URL+"/healthz")
}

package repeated

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"
)

func TestStartsLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	StartLeak()
}

// TestSeesIt01..20 leak nothing themselves: goleak is process-wide, so each
// reports TestStartsLeak's goroutine again.

func TestSeesIt01(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt02(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt03(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt04(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt05(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt06(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt07(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt08(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt09(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt10(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt11(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt12(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt13(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt14(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt15(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt16(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt17(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt18(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt19(t *testing.T) { defer goleak.VerifyNone(t) }

func TestSeesIt20(t *testing.T) { defer goleak.VerifyNone(t) }

// TestHTTPServerNotClosed never closes its server: the report lists
// net/http's goroutines (and TestStartsLeak's goroutine again).
func TestHTTPServerNotClosed(t *testing.T) {
	defer goleak.VerifyNone(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

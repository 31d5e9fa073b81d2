package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/iocflow/iocflow/internal/config"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServe_HealthReadinessAndMetrics(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ioc_test_things_total", Help: "t"})
	reg.MustRegister(c)
	c.Add(3)
	var ready atomic.Bool
	s, err := Serve(Config{Listen: "127.0.0.1:0"}, reg, func() error { return nil },
		func() error {
			if !ready.Load() {
				return errors.New("indicators not loaded")
			}
			return nil
		}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	base := "http://" + s.Addr()
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d, want 200", code)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "indicators") {
		t.Errorf("/readyz before ready = %d %q, want 503 with the reason", code, body)
	}
	ready.Store(true)
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz when ready = %d, want 200", code)
	}
	if _, body := get(t, base+"/metrics"); !strings.Contains(body, "ioc_test_things_total 3") ||
		!strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics lacks the registered and runtime metrics:\n%s", body)
	}
}

// The profiler must push to the configured server: a small ingest
// endpoint started here stands in for Pyroscope.
func TestStartProfiling_PushesToIngestEndpoint(t *testing.T) {
	t.Parallel()
	var pushes atomic.Int32
	var app atomic.Value
	ingest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ingest" {
			app.Store(r.URL.Query().Get("name"))
			pushes.Add(1)
		}
		io.Copy(io.Discard, r.Body)
	}))
	defer ingest.Close()
	cfg := ProfilingConfig{ServerAddress: ingest.URL, ApplicationName: "iocflow-test",
		UploadRate: config.Duration(time.Second)}
	p, err := StartProfiling(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for pushes.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if pushes.Load() == 0 {
		t.Fatal("no profile reached the ingest endpoint within 15s")
	}
	if name, _ := app.Load().(string); !strings.HasPrefix(name, "iocflow-test") {
		t.Errorf("profile name %q, want the application name", name)
	}
}

func TestProfilingConfig_Validate(t *testing.T) {
	t.Parallel()
	c := ProfilingConfig{ServerAddress: "ftp://x", UploadRate: config.Duration(time.Millisecond)}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "server_address") ||
		!strings.Contains(err.Error(), "upload_rate") {
		t.Errorf("Validate = %v, want problems for server_address and upload_rate", err)
	}
	off := ProfilingConfig{}
	off.Defaults()
	if p, err := StartProfiling(off, slog.New(slog.DiscardHandler)); p != nil || err != nil {
		t.Errorf("StartProfiling without address = %v, %v; want nil, nil", p, err)
	}
}

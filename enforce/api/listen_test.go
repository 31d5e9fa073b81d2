package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine to log into
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The API logs the address it listens on, with a constant message, as the
// worker's other listeners do: with listen port 0 it is the only place
// the port can be read.
func TestListenAndServe_LogsAddress(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, Config{Listen: "127.0.0.1:0"}, http.NotFoundHandler(), logger)
	}()
	var line struct {
		Msg     string `json:"msg"`
		Address string `json:"address"`
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if json.Unmarshal(bytes.TrimSpace([]byte(buf.String())), &line) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line within 5s; got %q", buf.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ListenAndServe: %v", err)
	}
	host, port, err := net.SplitHostPort(line.Address)
	if line.Msg != "enforcement api listening" || err != nil || host != "127.0.0.1" ||
		port == "0" {
		t.Errorf("log line = %+v, want msg \"enforcement api listening\" and the bound "+
			"loopback address", line)
	}
}

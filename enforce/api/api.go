// Package api serves the enforcement service over HTTP for the command
// line and for people's tools: list actions, approve, deny and release
// them, read and set the policy, read metrics. Every request carries a
// bearer token that maps to a role (enforce.Tokens); the service checks
// the role again on every operation. Client is the matching client, used
// by "iocflow actions".
//
// The handler is safe for concurrent use; it keeps no state of its own.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/internal/logkey"
)

// maxBody bounds a request body, in bytes.
const maxBody = 1 << 20

// Config configures the API server.
type Config struct {
	// Listen is the address served. Default "127.0.0.1:9781".
	Listen string `yaml:"listen" json:"listen"`
	// TokensFile holds token lines "ROLE NAME TOKEN" (viewer, approver,
	// admin). TokensEnv names an environment variable with the same lines;
	// default "IOCFLOW_API_TOKENS". Tokens from both are used.
	TokensFile string `yaml:"tokens_file" json:"tokens_file"`
	TokensEnv  string `yaml:"tokens_env" json:"tokens_env"`
	// TLSCertFile and TLSKeyFile, when both set, serve HTTPS.
	TLSCertFile string `yaml:"tls_cert_file" json:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file" json:"tls_key_file"`
}

// Defaults fills in the documented defaults.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:9781"
	}
	if c.TokensEnv == "" {
		c.TokensEnv = "IOCFLOW_API_TOKENS"
	}
}

// Validate returns every problem at once, with key paths under prefix.
func (c *Config) Validate(prefix string) error {
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return fmt.Errorf(
			"%s.tls_cert_file: set both tls_cert_file and tls_key_file, or neither",
			prefix,
		)
	}
	return nil
}

// Server answers API requests for one service.
type Server struct {
	svc     *enforce.Service
	tokens  *enforce.Tokens
	log     *slog.Logger
	metrics []func(io.Writer) error
	mux     *http.ServeMux
}

// New returns the API handler. metrics are further writers of Prometheus
// text (adapters' WriteMetrics) appended to /metrics.
func New(svc *enforce.Service, tokens *enforce.Tokens, logger *slog.Logger,
	metrics ...func(io.Writer) error) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{svc: svc, tokens: tokens, log: logger, metrics: metrics, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /v1/actions", s.auth(s.list))
	s.mux.HandleFunc("GET /v1/actions/{id}", s.auth(s.get))
	s.mux.HandleFunc("POST /v1/actions/{id}/{op}", s.auth(s.decide))
	s.mux.HandleFunc("GET /v1/policy", s.auth(s.policy))
	s.mux.HandleFunc("PUT /v1/policy", s.auth(s.setPolicy))
	s.mux.HandleFunc("GET /metrics", s.auth(s.writeMetrics))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type handler func(w http.ResponseWriter, r *http.Request, p enforce.Principal)

// auth resolves the bearer token to a principal; the service checks the
// role the operation needs.
func (s *Server) auth(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		p, found := enforce.Principal{}, false
		if ok {
			p, found = s.tokens.Lookup(strings.TrimSpace(tok))
		}
		if !found {
			w.Header().Set("WWW-Authenticate", `Bearer realm="iocflow"`)
			writeError(w, http.StatusUnauthorized, "a valid bearer token is required")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		h(w, r, p)
	}
}

// Error is the JSON body of an error answer.
type Error struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, Error{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// fail maps a service error to a status.
func fail(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	switch {
	case errors.Is(err, enforce.ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, enforce.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, enforce.ErrState), errors.Is(err, enforce.ErrProtected):
		code = http.StatusConflict
	case errors.Is(err, enforce.ErrAudit):
		code = http.StatusServiceUnavailable
	}
	writeError(w, code, err.Error())
}

// Actions is the answer of GET /v1/actions.
type Actions struct {
	Actions []enforce.Action `json:"actions"`
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, p enforce.Principal) {
	f := enforce.Filter{Adapter: r.URL.Query().Get("adapter")}
	for _, st := range r.URL.Query()["state"] {
		f.States = append(f.States, enforce.State(st))
	}
	as, err := s.svc.List(p, f)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, Actions{Actions: as})
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, p enforce.Principal) {
	a, err := s.svc.Get(p, r.PathValue("id"))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// Decision is the optional body of approve, deny and release.
type Decision struct {
	Note string `json:"note"`
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, p enforce.Principal) {
	var d Decision
	if r.ContentLength != 0 {
		if err := decodeStrict(r.Body, &d); err != nil {
			writeError(w, http.StatusBadRequest, "read decision: "+err.Error())
			return
		}
	}
	ops := map[string]func(context.Context, enforce.Principal, string, string) error{
		"approve": s.svc.Approve, "deny": s.svc.Deny, "release": s.svc.Release}
	op, ok := ops[r.PathValue("op")]
	if !ok {
		writeError(w, http.StatusNotFound, "want approve, deny or release")
		return
	}
	id := r.PathValue("id")
	if err := op(r.Context(), p, id, d.Note); err != nil {
		fail(w, err)
		return
	}
	a, err := s.svc.Get(p, id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// PolicyAnswer is the answer of GET /v1/policy.
type PolicyAnswer struct {
	Policy enforce.Policy `json:"policy"`
	// SetBy is the admin who set it through the API; empty when it is the
	// configured policy.
	SetBy string `json:"set_by,omitempty"`
}

func (s *Server) policy(w http.ResponseWriter, _ *http.Request, p enforce.Principal) {
	pol, by, err := s.svc.Policy(p)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, PolicyAnswer{Policy: pol, SetBy: by})
}

func (s *Server) setPolicy(w http.ResponseWriter, r *http.Request, p enforce.Principal) {
	var pol enforce.Policy
	if err := decodeStrict(r.Body, &pol); err != nil {
		writeError(w, http.StatusBadRequest, "read policy: "+err.Error())
		return
	}
	if err := s.svc.SetPolicy(r.Context(), p, pol); err != nil {
		fail(w, err)
		return
	}
	s.policy(w, r, p)
}

func (s *Server) writeMetrics(w http.ResponseWriter, _ *http.Request, p enforce.Principal) {
	if p.Role < enforce.RoleViewer {
		writeError(w, http.StatusForbidden, "viewer role needed")
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	if err := s.svc.WriteMetrics(w); err != nil {
		return
	}
	for _, m := range s.metrics {
		if err := m(w); err != nil {
			return
		}
	}
}

func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ListenAndServe serves h on c.Listen until ctx ends. Once it listens, it
// logs the address (the port, when c.Listen asked for any) to logger; nil
// discards.
func ListenAndServe(ctx context.Context, c Config, h http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	if logger != nil {
		logger.Info("enforcement api listening", logkey.Address, ln.Addr().String())
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: time.Minute}
	done := make(chan error, 1)
	go func() {
		if c.TLSCertFile != "" {
			done <- srv.ServeTLS(ln, c.TLSCertFile, c.TLSKeyFile)
			return
		}
		done <- srv.Serve(ln)
	}()
	select {
	case err := <-done:
		return fmt.Errorf("api: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

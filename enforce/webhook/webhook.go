// Package webhook sends enforcement actions as signed JSON to an HTTP
// endpoint of the site's own (a SOAR playbook, an EDR bridge, a script):
// the generic way to isolate a host or act on anything no other adapter
// covers. It is an enforce.Adapter.
//
// Each call is one POST of a JSON object (see Message). The body is signed
// with HMAC-SHA256 over "<timestamp>.<body>" and carries an Idempotency-Key
// that is the same on every retry of the same operation, so the receiver
// can drop repeats. Retries with backoff are the enforcement service's.
// An Adapter is safe for concurrent use.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

// Header names of a webhook request.
const (
	HeaderSignature   = "X-Iocflow-Signature"
	HeaderTimestamp   = "X-Iocflow-Timestamp"
	HeaderIdempotency = "Idempotency-Key"
)

// Config configures one webhook adapter.
type Config struct {
	// Name is the adapter name rules refer to; required.
	Name string `yaml:"name" json:"name"`
	// URL receives the POSTs; required, http or https.
	URL string `yaml:"url" json:"url"`
	// SecretEnv or SecretFile holds the HMAC key; one is required.
	SecretEnv  string `yaml:"secret_env" json:"secret_env"`
	SecretFile string `yaml:"secret_file" json:"secret_file"`
	// Actions lists the action kinds the endpoint handles. Default all.
	Actions []enforce.Kind `yaml:"actions" json:"actions"`
}

// Validate returns every problem at once, with key paths under prefix.
func (c *Config) Validate(prefix string) error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, fmt.Errorf("%s.name: required", prefix))
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
		u.Host == "" {
		errs = append(errs, fmt.Errorf("%s.url: want an http or https URL", prefix))
	}
	if (c.SecretEnv == "") == (c.SecretFile == "") {
		errs = append(errs, fmt.Errorf("%s.secret_env: set one of secret_env, secret_file", prefix))
	}
	return errors.Join(errs...)
}

// Message is the JSON body of a webhook request.
type Message struct {
	// ID is the action's id; with Op it makes the idempotency key.
	ID string `json:"id"`
	// Op is "apply" or "remove".
	Op      string    `json:"op"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Mailbox string    `json:"mailbox,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	Rule    string    `json:"rule,omitempty"`
	// Ref is what the endpoint answered to the apply (its "ref" field),
	// sent back with the removal.
	Ref string `json:"ref,omitempty"`
}

// Adapter posts actions to the endpoint.
type Adapter struct {
	cfg    Config
	secret []byte
	client *http.Client
	now    func() time.Time
}

// New builds an adapter; the config must be valid. The secret is read now.
// A nil client means http.DefaultClient's transport with no redirects
// followed (a redirect would resend a signed body elsewhere).
func New(c Config, client *http.Client) (*Adapter, error) {
	secret, err := enforce.ReadSecret(c.SecretEnv, c.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("webhook %s: secret: %w", c.Name, err)
	}
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	return &Adapter{cfg: c, secret: []byte(secret), client: client, now: time.Now}, nil
}

// Name implements enforce.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Supports implements enforce.Adapter.
func (a *Adapter) Supports(k enforce.Kind) bool {
	if len(a.cfg.Actions) == 0 {
		return k.IsValid()
	}
	for _, x := range a.cfg.Actions {
		if x == k {
			return true
		}
	}
	return false
}

// Apply implements enforce.Adapter.
func (a *Adapter) Apply(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	return a.post(ctx, "apply", r)
}

// Remove implements enforce.Adapter.
func (a *Adapter) Remove(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	return a.post(ctx, "remove", r)
}

// Sign returns the signature header value of body sent at ts:
// "sha256=" and the hex HMAC-SHA256 of "<ts>.<body>" under secret.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (a *Adapter) post(ctx context.Context, op string, r enforce.Request) (enforce.Receipt, error) {
	msg := Message{ID: r.ID, Op: op, Action: r.Target.Kind.String(), Target: r.Target.Value,
		Mailbox: r.Target.Mailbox, Rule: r.Rule, Ref: r.Ref}
	if op == "apply" {
		msg.Expires = r.Expires
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return enforce.Receipt{}, fmt.Errorf("encode message: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return enforce.Receipt{}, fmt.Errorf("build request: %w", err)
	}
	ts := strconv.FormatInt(a.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(a.secret, ts, body))
	req.Header.Set(HeaderIdempotency, r.ID+":"+op)
	out, answer, err := enforce.CallHTTP(a.client, req)
	if err != nil {
		return enforce.Receipt{}, err
	}
	var reply struct {
		Ref string `json:"ref"`
	}
	_ = json.Unmarshal(out, &reply) // a reply is optional
	return enforce.Receipt{Ref: reply.Ref, Answer: answer}, nil
}

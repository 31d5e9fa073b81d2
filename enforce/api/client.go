package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/iocflow/iocflow/enforce"
)

// Client calls the API. The zero HTTP means http.DefaultClient. Safe for
// concurrent use.
type Client struct {
	// BaseURL is the server ("http://127.0.0.1:9781").
	BaseURL string
	// Token is the bearer token; it is sent, never printed.
	Token string
	HTTP  *http.Client
}

// StatusError is an API answer other than 2xx.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Code, e.Message) }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(
		ctx,
		method,
		strings.TrimSuffix(c.BaseURL, "/")+path,
		body,
	)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e Error
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return &StatusError{Code: resp.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 256<<20)).Decode(out); err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	return nil
}

// List returns the actions in states (all when none), newest first.
func (c *Client) List(ctx context.Context, states ...enforce.State) ([]enforce.Action, error) {
	q := url.Values{}
	for _, s := range states {
		q.Add("state", string(s))
	}
	var out Actions
	path := "/v1/actions"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out.Actions, err
}

// Decide approves, denies or releases action id ("approve", "deny",
// "release") with a note for the audit trail, and returns the action.
func (c *Client) Decide(ctx context.Context, op, id, note string) (enforce.Action, error) {
	var a enforce.Action
	err := c.do(
		ctx,
		http.MethodPost,
		"/v1/actions/"+url.PathEscape(id)+"/"+op,
		Decision{Note: note},
		&a,
	)
	return a, err
}

// Policy returns the policy in force.
func (c *Client) Policy(ctx context.Context) (PolicyAnswer, error) {
	var p PolicyAnswer
	err := c.do(ctx, http.MethodGet, "/v1/policy", nil, &p)
	return p, err
}

// SetPolicy replaces the policy (admin role).
func (c *Client) SetPolicy(ctx context.Context, p enforce.Policy) (PolicyAnswer, error) {
	var out PolicyAnswer
	err := c.do(ctx, http.MethodPut, "/v1/policy", p, &out)
	return out, err
}

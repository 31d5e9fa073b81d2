// Package msgraph quarantines mail through the Microsoft Graph API: Apply
// finds the message in the user's mailbox by its Internet message id and
// moves it to a quarantine folder; Remove (release or expiry) moves it
// back; Held lists the quarantine folder of each mailbox the adapter has
// quarantined mail in and reports which of those messages are still
// there. It authenticates as an application with the OAuth 2.0 client
// credentials grant and caches the token until shortly before it expires,
// and waits out Graph's throttling (429 with Retry-After). It is an
// enforce.Adapter and an enforce.Lister. An Adapter is safe for concurrent
// use; LOCKS.md describes its two mutexes.
package msgraph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

// Documented endpoints; tests point both at loopback servers.
const (
	DefaultGraphURL = "https://graph.microsoft.com/v1.0"
	defaultTokenURL = "https://login.microsoftonline.com/%s/oauth2/v2.0/token"
	graphScope      = "https://graph.microsoft.com/.default"
)

// Config configures one Graph adapter.
type Config struct {
	// Name is the adapter name rules refer to. Default "msgraph".
	Name string `yaml:"name" json:"name"`
	// TenantID and ClientID identify the app registration; required. The
	// app needs the Mail.ReadWrite application permission.
	TenantID string `yaml:"tenant_id" json:"tenant_id"`
	ClientID string `yaml:"client_id" json:"client_id"`
	// ClientSecretEnv or ClientSecretFile holds the client secret; one is
	// required.
	ClientSecretEnv  string `yaml:"client_secret_env" json:"client_secret_env"`
	ClientSecretFile string `yaml:"client_secret_file" json:"client_secret_file"`
	// QuarantineFolder is the destination folder: a folder id or a
	// well-known name (for example "junkemail"); required.
	QuarantineFolder string `yaml:"quarantine_folder" json:"quarantine_folder"`
	// RestoreFolder is where released messages go. Default "inbox".
	RestoreFolder string `yaml:"restore_folder" json:"restore_folder"`
	// GraphURL and TokenURL override the documented endpoints (national
	// clouds). Defaults: DefaultGraphURL and the tenant's v2.0 token URL.
	GraphURL string `yaml:"graph_url" json:"graph_url"`
	TokenURL string `yaml:"token_url" json:"token_url"`
}

// Defaults fills in the documented defaults.
func (c *Config) Defaults() {
	if c.Name == "" {
		c.Name = "msgraph"
	}
	if c.RestoreFolder == "" {
		c.RestoreFolder = "inbox"
	}
	if c.GraphURL == "" {
		c.GraphURL = DefaultGraphURL
	}
	if c.TokenURL == "" && c.TenantID != "" {
		c.TokenURL = fmt.Sprintf(defaultTokenURL, url.PathEscape(c.TenantID))
	}
}

// Validate returns every problem at once, with key paths under prefix.
func (c *Config) Validate(prefix string) error {
	var errs []error
	bad := func(k, m string) { errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, k, m)) }
	if c.TenantID == "" {
		bad("tenant_id", "required")
	}
	if c.ClientID == "" {
		bad("client_id", "required")
	}
	if (c.ClientSecretEnv == "") == (c.ClientSecretFile == "") {
		bad("client_secret_env", "set one of client_secret_env, client_secret_file")
	}
	if c.QuarantineFolder == "" {
		bad("quarantine_folder", "required")
	}
	for k, v := range map[string]string{"graph_url": c.GraphURL, "token_url": c.TokenURL} {
		if u, err := url.Parse(v); err != nil || u.Host == "" {
			bad(k, "want an https URL")
		}
	}
	return errors.Join(errs...)
}

// Adapter moves messages through Graph.
type Adapter struct {
	cfg    Config
	secret string
	client *http.Client
	rt     *throttle
	now    func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time

	// qmu guards quarantined: the targets this adapter has moved to the
	// quarantine folder and not moved back since the process started,
	// by Target.Key.
	qmu         sync.Mutex
	quarantined map[string]enforce.Target
}

// New builds an adapter; the config must have been through Defaults and
// Validate. The secret is read now. A nil client means
// http.DefaultClient. The adapter sends through a copy of the client whose
// transport waits out throttled answers; the client itself is not changed.
func New(c Config, client *http.Client) (*Adapter, error) {
	s, err := enforce.ReadSecret(c.ClientSecretEnv, c.ClientSecretFile)
	if err != nil {
		return nil, fmt.Errorf("msgraph %s: client secret: %w", c.Name, err)
	}
	if client == nil {
		client = http.DefaultClient
	}
	rt := &throttle{base: client.Transport, sleep: sleep}
	if rt.base == nil {
		rt.base = http.DefaultTransport
	}
	own := *client
	own.Transport = rt
	return &Adapter{cfg: c, secret: s, client: &own, rt: rt, now: time.Now,
		quarantined: map[string]enforce.Target{}}, nil
}

// Name implements enforce.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Supports reports true for quarantine_message.
func (a *Adapter) Supports(k enforce.Kind) bool { return k == enforce.QuarantineMessage }

// Apply moves the message to the quarantine folder. The receipt's Ref is
// the message's id after the move (Graph gives a moved message a new id).
// A message moved is remembered for Held.
func (a *Adapter) Apply(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	id, err := a.find(ctx, r.Target)
	if err != nil {
		return enforce.Receipt{}, err
	}
	rec, err := a.move(ctx, r.Target.Mailbox, id, a.cfg.QuarantineFolder)
	if err == nil {
		a.remember(r.Target, true)
	}
	return rec, err
}

// Remove moves the message back to the restore folder. It uses the id
// from Apply and falls back to a search by Internet message id. Once the
// message is back (or gone), Held no longer looks for it.
func (a *Adapter) Remove(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	rec, err := a.restore(ctx, r)
	if err == nil {
		a.remember(r.Target, false)
	}
	return rec, err
}

func (a *Adapter) restore(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	if r.Ref != "" {
		rec, err := a.move(ctx, r.Target.Mailbox, r.Ref, a.cfg.RestoreFolder)
		var de *enforce.DeviceError
		if !errors.As(err, &de) || !strings.HasPrefix(de.Answer, "HTTP 404") {
			return rec, err
		}
	}
	id, err := a.find(ctx, r.Target)
	var de *enforce.DeviceError
	if errors.As(err, &de) && de.Answer == "message not found" {
		return enforce.Receipt{Answer: "message no longer in the mailbox"}, nil
	}
	if err != nil {
		return enforce.Receipt{}, err
	}
	return a.move(ctx, r.Target.Mailbox, id, a.cfg.RestoreFolder)
}

func (a *Adapter) userURL(mailbox string) string {
	return strings.TrimSuffix(a.cfg.GraphURL, "/") + "/users/" + url.PathEscape(mailbox)
}

// find returns the Graph id of the message with the target's Internet
// message id.
func (a *Adapter) find(ctx context.Context, t enforce.Target) (string, error) {
	q := url.Values{
		"$filter": {"internetMessageId eq '" + strings.ReplaceAll(t.Value, "'", "''") + "'"},
		"$select": {"id"},
	}
	u := a.userURL(t.Mailbox) + "/messages?" + strings.ReplaceAll(q.Encode(), "+", "%20")
	body, _, err := a.do(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	var resp struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return "", fmt.Errorf("read message search: %w", err)
	}
	if len(resp.Value) == 0 {
		return "", &enforce.DeviceError{Answer: "message not found", Permanent: true}
	}
	return resp.Value[0].ID, nil
}

func (a *Adapter) move(ctx context.Context, mailbox, id, folder string) (enforce.Receipt, error) {
	payload, _ := json.Marshal(map[string]string{"destinationId": folder})
	u := a.userURL(mailbox) + "/messages/" + url.PathEscape(id) + "/move"
	body, answer, err := a.do(ctx, http.MethodPost, u, payload)
	if err != nil {
		return enforce.Receipt{}, err
	}
	var moved struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &moved); err != nil || moved.ID == "" {
		return enforce.Receipt{}, &enforce.DeviceError{
			Answer: answer + ": no message in the answer",
		}
	}
	return enforce.Receipt{Ref: moved.ID, Answer: answer}, nil
}

// do sends one Graph request with a bearer token, getting a new token
// once if the cached one is refused.
func (a *Adapter) do(ctx context.Context, method, u string, body []byte) ([]byte, string, error) {
	for try := 0; ; try++ {
		tok, err := a.accessToken(ctx, try > 0)
		if err != nil {
			return nil, "", err
		}
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return nil, "", fmt.Errorf("build request: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		out, answer, err := enforce.CallHTTP(a.client, req)
		var de *enforce.DeviceError
		if try == 0 && errors.As(err, &de) && strings.HasPrefix(de.Answer, "HTTP 401") {
			continue
		}
		return out, answer, err
	}
}

// accessToken returns a cached token, or a new one when it is within a
// minute of expiry or refresh is set.
func (a *Adapter) accessToken(ctx context.Context, refresh bool) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !refresh && a.token != "" && a.now().Before(a.expires.Add(-time.Minute)) {
		return a.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.cfg.ClientID},
		"client_secret": {a.secret}, "scope": {graphScope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.TokenURL,
		strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("build token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	body, _, err := enforce.CallHTTP(a.client, req)
	if err != nil {
		return "", fmt.Errorf("get token: %w", err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", &enforce.DeviceError{Answer: "token endpoint answered without a token"}
	}
	a.token, a.expires = tr.AccessToken, a.now().Add(time.Duration(tr.ExpiresIn)*time.Second)
	return a.token, nil
}

// Package umbrella blocks domains through the Cisco Umbrella (OpenDNS)
// Enforcement API: Apply posts an event for the domain (Umbrella adds it
// to the custom integration's destination list), Remove deletes the domain
// by name, and Held reads the list back page by page. It is an
// enforce.Adapter and an enforce.Lister.
//
// The API authenticates with a customer key in the query string, so the
// key is kept out of every error and log line. An Adapter is safe for
// concurrent use.
package umbrella

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

// DefaultURL is the Enforcement API's documented base.
const DefaultURL = "https://s-platform.api.opendns.com"

// pageLimit is the documented largest page of /domains.
const pageLimit = 200

// maxPages bounds a read-back (200 x 500 = 100,000 domains).
const maxPages = 500

// Config configures one Umbrella adapter.
type Config struct {
	// Name is the adapter name rules refer to. Default "umbrella".
	Name string `yaml:"name" json:"name"`
	// URL is the API base. Default DefaultURL.
	URL string `yaml:"url" json:"url"`
	// CustomerKeyEnv or CustomerKeyFile holds the integration's customer
	// key; one is required.
	CustomerKeyEnv  string `yaml:"customer_key_env" json:"customer_key_env"`
	CustomerKeyFile string `yaml:"customer_key_file" json:"customer_key_file"`
	// DeviceID names this iocflow instance in the events. Default
	// "iocflow".
	DeviceID string `yaml:"device_id" json:"device_id"`
}

// Defaults fills in the documented defaults.
func (c *Config) Defaults() {
	if c.Name == "" {
		c.Name = "umbrella"
	}
	if c.URL == "" {
		c.URL = DefaultURL
	}
	if c.DeviceID == "" {
		c.DeviceID = "iocflow"
	}
}

// Validate returns every problem at once, with key paths under prefix.
func (c *Config) Validate(prefix string) error {
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") ||
		u.Host == "" {
		errs = append(errs, fmt.Errorf("%s.url: want an https URL", prefix))
	}
	if (c.CustomerKeyEnv == "") == (c.CustomerKeyFile == "") {
		errs = append(errs, fmt.Errorf("%s.customer_key_env: set one of customer_key_env, "+
			"customer_key_file", prefix))
	}
	return errors.Join(errs...)
}

// Event is the generic event the Enforcement API takes.
type Event struct {
	AlertTime       string `json:"alertTime"`
	DeviceID        string `json:"deviceId"`
	DeviceVersion   string `json:"deviceVersion"`
	DstDomain       string `json:"dstDomain"`
	DstURL          string `json:"dstUrl"`
	EventTime       string `json:"eventTime"`
	ProtocolVersion string `json:"protocolVersion"`
	ProviderName    string `json:"providerName"`
}

// Adapter talks to the Enforcement API.
type Adapter struct {
	cfg    Config
	key    string
	client *http.Client
	now    func() time.Time
}

// New builds an adapter; the config must have been through Defaults and
// Validate. The key is read now. A nil client means http.DefaultClient.
func New(c Config, client *http.Client) (*Adapter, error) {
	key, err := enforce.ReadSecret(c.CustomerKeyEnv, c.CustomerKeyFile)
	if err != nil {
		return nil, fmt.Errorf("umbrella %s: customer key: %w", c.Name, err)
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &Adapter{cfg: c, key: key, client: client, now: time.Now}, nil
}

// Name implements enforce.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Supports reports true for block_domain.
func (a *Adapter) Supports(k enforce.Kind) bool { return k == enforce.BlockDomain }

func (a *Adapter) endpoint(path string, q url.Values) string {
	q.Set("customerKey", a.key)
	return strings.TrimSuffix(a.cfg.URL, "/") + "/1.0/" + path + "?" + q.Encode()
}

// Apply posts an event for the domain.
func (a *Adapter) Apply(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	ts := a.now().UTC().Format("2006-01-02T15:04:05.0Z")
	ev := Event{AlertTime: ts, EventTime: ts, DeviceID: a.cfg.DeviceID, DeviceVersion: "1",
		DstDomain: r.Target.Value, DstURL: "http://" + r.Target.Value + "/",
		ProtocolVersion: "1.0a", ProviderName: "Security Platform"}
	body, err := json.Marshal(ev)
	if err != nil {
		return enforce.Receipt{}, fmt.Errorf("encode event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint("events", url.Values{}),
		bytes.NewReader(body))
	if err != nil {
		return enforce.Receipt{}, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	out, answer, err := enforce.CallHTTP(a.client, req)
	if err != nil {
		return enforce.Receipt{}, err
	}
	var reply struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(out, &reply)
	return enforce.Receipt{Ref: reply.ID, Answer: answer}, nil
}

// Remove deletes the domain from the integration's list by name. A domain
// the list does not hold (404) counts as removed.
func (a *Adapter) Remove(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	q := url.Values{"where[name]": {r.Target.Value}}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, a.endpoint("domains", q), nil)
	if err != nil {
		return enforce.Receipt{}, fmt.Errorf("build request: %w", err)
	}
	_, answer, err := enforce.CallHTTP(a.client, req)
	var de *enforce.DeviceError
	if errors.As(err, &de) && strings.HasPrefix(de.Answer, "HTTP 404") {
		return enforce.Receipt{Answer: de.Answer}, nil
	}
	if err != nil {
		return enforce.Receipt{}, err
	}
	return enforce.Receipt{Answer: answer}, nil
}

// Held implements enforce.Lister: every domain on the integration's list.
func (a *Adapter) Held(ctx context.Context) ([]enforce.Target, error) {
	var out []enforce.Target
	for page := 1; page <= maxPages; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "limit": {strconv.Itoa(pageLimit)}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.endpoint("domains", q), nil)
		if err != nil {
			return nil, fmt.Errorf("build request: %w", err)
		}
		body, _, err := enforce.CallHTTP(a.client, req)
		if err != nil {
			return nil, err
		}
		var resp struct {
			Meta struct {
				Next json.RawMessage `json:"next"`
			} `json:"meta"`
			Data []struct {
				Name string `json:"name"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			return nil, fmt.Errorf("read domains page %d: %w", page, err)
		}
		for _, d := range resp.Data {
			out = append(
				out,
				enforce.Target{Kind: enforce.BlockDomain, Value: strings.ToLower(d.Name)},
			)
		}
		if next := string(resp.Meta.Next); next == "" || next == "false" || next == "null" {
			return out, nil
		}
	}
	return nil, fmt.Errorf("read domains: more than %d pages", maxPages)
}

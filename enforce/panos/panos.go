// Package panos blocks addresses on Palo Alto Networks firewalls through
// the PAN-OS XML API (directly, or through Panorama with a target serial):
// it registers each address with a tag that a dynamic address group
// matches, and unregisters it on expiry. Security policy that denies the
// group does the blocking. It is an enforce.Adapter and an enforce.Lister
// (registered addresses can be read back by tag).
//
// Each registration carries the tag timeout (seconds until the action
// expires, at most 30 days), so the firewall drops the tag by itself even
// if iocflow is down when the action ends. An Adapter is safe for
// concurrent use.
package panos

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// maxTimeout is the largest tag timeout PAN-OS takes, in seconds (30 days).
const maxTimeout = 2592000

// Config configures one PAN-OS adapter.
type Config struct {
	// Name is the adapter name rules refer to. Default "panos".
	Name string `yaml:"name" json:"name"`
	// URL is the firewall's or Panorama's management address
	// ("https://fw1.corp.example"); required.
	URL string `yaml:"url" json:"url"`
	// APIKeyEnv or APIKeyFile holds the API key; one is required.
	APIKeyEnv  string `yaml:"api_key_env" json:"api_key_env"`
	APIKeyFile string `yaml:"api_key_file" json:"api_key_file"`
	// Tag is the tag the dynamic address group matches. Default
	// "iocflow-block".
	Tag string `yaml:"tag" json:"tag"`
	// Vsys is the virtual system on multi-vsys firewalls. Default none.
	Vsys string `yaml:"vsys" json:"vsys"`
	// Target is the serial number of the firewall when URL is Panorama.
	Target string `yaml:"target" json:"target"`
}

// Defaults fills in the documented defaults.
func (c *Config) Defaults() {
	if c.Name == "" {
		c.Name = "panos"
	}
	if c.Tag == "" {
		c.Tag = "iocflow-block"
	}
}

// Validate returns every problem at once, with key paths under prefix.
func (c *Config) Validate(prefix string) error {
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") ||
		u.Host == "" {
		errs = append(errs, fmt.Errorf("%s.url: want the management https URL", prefix))
	}
	if (c.APIKeyEnv == "") == (c.APIKeyFile == "") {
		errs = append(
			errs,
			fmt.Errorf("%s.api_key_env: set one of api_key_env, api_key_file", prefix),
		)
	}
	if strings.ContainsAny(c.Tag, `<>&"' `) || len(c.Tag) > 127 {
		errs = append(
			errs,
			fmt.Errorf("%s.tag: at most 127 characters, no spaces or <>&\"'", prefix),
		)
	}
	return errors.Join(errs...)
}

// Adapter registers and unregisters tagged addresses.
type Adapter struct {
	cfg    Config
	key    string
	client *http.Client
	now    func() time.Time
}

// New builds an adapter; the config must have been through Defaults and
// Validate. The API key is read now. A nil client means
// http.DefaultClient.
func New(c Config, client *http.Client) (*Adapter, error) {
	key, err := enforce.ReadSecret(c.APIKeyEnv, c.APIKeyFile)
	if err != nil {
		return nil, fmt.Errorf("panos %s: api key: %w", c.Name, err)
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &Adapter{cfg: c, key: key, client: client, now: time.Now}, nil
}

// Name implements enforce.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Supports reports true for block_ip only: registered IPs are single
// addresses.
func (a *Adapter) Supports(k enforce.Kind) bool { return k == enforce.BlockIP }

// Apply registers the address with the tag and its timeout.
func (a *Adapter) Apply(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	ip, err := address(r.Target)
	if err != nil {
		return enforce.Receipt{}, err
	}
	secs := int64(maxTimeout)
	if !r.Expires.IsZero() {
		secs = min(max(int64(r.Expires.Sub(a.now()).Seconds())+1, 1), maxTimeout)
	}
	payload := fmt.Sprintf(`<register><entry ip="%s" persistent="1"><tag>`+
		`<member timeout="%d">%s</member></tag></entry></register>`, ip, secs, xmlText(a.cfg.Tag))
	return a.userID(ctx, payload, "already exists")
}

// Remove unregisters the address from the tag.
func (a *Adapter) Remove(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	ip, err := address(r.Target)
	if err != nil {
		return enforce.Receipt{}, err
	}
	payload := fmt.Sprintf(`<unregister><entry ip="%s"><tag><member>%s</member></tag>`+
		`</entry></unregister>`, ip, xmlText(a.cfg.Tag))
	return a.userID(ctx, payload, "not exist")
}

func address(t enforce.Target) (string, error) {
	p, ok := t.Prefix()
	if !ok || !p.IsSingleIP() {
		return "", &enforce.DeviceError{Permanent: true, Answer: "not a single address: " + t.Value}
	}
	return p.Addr().String(), nil
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// userID sends a User-ID uid-message with payload. An error whose message
// contains benign (the entry already is as wanted) counts as success.
func (a *Adapter) userID(ctx context.Context, payload, benign string) (enforce.Receipt, error) {
	cmd := "<uid-message><version>2.0</version><type>update</type><payload>" + payload +
		"</payload></uid-message>"
	form := url.Values{"type": {"user-id"}, "cmd": {cmd}}
	resp, answer, err := a.call(ctx, form)
	if err != nil {
		return enforce.Receipt{}, err
	}
	if resp.Status == "success" {
		return enforce.Receipt{Answer: answer + " success"}, nil
	}
	msg := resp.message()
	if strings.Contains(msg, benign) {
		return enforce.Receipt{Answer: answer + " " + msg}, nil
	}
	return enforce.Receipt{}, &enforce.DeviceError{Answer: "status error: " + msg,
		Permanent: !strings.Contains(msg, "busy")}
}

// response is the envelope of every XML API answer.
type response struct {
	Status string `xml:"status,attr"`
	Msg    struct {
		Inner string `xml:",innerxml"`
	} `xml:"msg"`
	Result struct {
		Entries []struct {
			IP   string   `xml:"ip,attr"`
			Tags []string `xml:"tag>member"`
		} `xml:"entry"`
		Inner string `xml:",innerxml"`
	} `xml:"result"`
}

// message returns the error text of a response, tags stripped.
func (r *response) message() string {
	s := r.Msg.Inner + " " + r.Result.Inner
	var b strings.Builder
	in := false
	for _, c := range s {
		switch {
		case c == '<':
			in = true
			b.WriteByte(' ')
		case c == '>':
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// call POSTs form to /api/ with the key in the X-PAN-KEY header (never in
// the URL, where proxies and logs would keep it).
func (a *Adapter) call(ctx context.Context, form url.Values) (*response, string, error) {
	if a.cfg.Vsys != "" {
		form.Set("vsys", a.cfg.Vsys)
	}
	if a.cfg.Target != "" {
		form.Set("target", a.cfg.Target)
	}
	u := strings.TrimSuffix(a.cfg.URL, "/") + "/api/"
	req, err := http.NewRequestWithContext(
		ctx,
		http.MethodPost,
		u,
		strings.NewReader(form.Encode()),
	)
	if err != nil {
		return nil, "", fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-PAN-KEY", a.key)
	body, answer, err := enforce.CallHTTP(a.client, req)
	if err != nil {
		return nil, "", err
	}
	var resp response
	if err := xml.Unmarshal(body, &resp); err != nil {
		return nil, "", &enforce.DeviceError{Answer: answer + ": not an XML API response"}
	}
	return &resp, answer, nil
}

// Held implements enforce.Lister: the addresses registered with the tag.
func (a *Adapter) Held(ctx context.Context) ([]enforce.Target, error) {
	form := url.Values{"type": {"op"}, "cmd": {`<show><object><registered-ip><tag><entry name="` +
		xmlText(a.cfg.Tag) + `"/></tag></registered-ip></object></show>`}}
	resp, _, err := a.call(ctx, form)
	if err != nil {
		return nil, err
	}
	if resp.Status != "success" {
		return nil, &enforce.DeviceError{Answer: "status error: " + resp.message()}
	}
	var out []enforce.Target
	for _, e := range resp.Result.Entries {
		if p, err := ioc.ParsePrefix(e.IP); err == nil && p.IsSingleIP() {
			out = append(out, enforce.Target{Kind: enforce.BlockIP, Value: p.Addr().String()})
		}
	}
	return out, nil
}

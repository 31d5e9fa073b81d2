// Package edl serves block lists over HTTP the way firewalls and proxies
// pull them (external dynamic lists, threat feeds, IoC feeds, category
// files). It is an enforce.Adapter: Apply adds a target to the adapter's
// set, Remove takes it out, and every configured list is a view of that
// set in one device's format, cut to that device's limits.
//
// Lists carry an ETag (a digest of the body) and Last-Modified, and
// answer conditional and HEAD requests, so a device that polls often
// downloads a list only when it changed. Requests need HTTP basic
// authentication unless the configuration allows anonymous access.
//
// An Adapter is safe for concurrent use: one mutex guards the set and
// the rendered lists; HTTP handlers take it only to read a rendered list.
package edl

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/internal/logkey"
)

// Config configures one EDL adapter: the set it holds and the lists it
// serves.
type Config struct {
	// Name is the adapter name rules refer to. Default "edl".
	Name string `yaml:"name" json:"name"`
	// Listen is the address the lists are served on. Default
	// "127.0.0.1:9780"; set the address the devices can reach.
	Listen string `yaml:"listen" json:"listen"`
	// TLSCertFile and TLSKeyFile, when both set, serve HTTPS. Default
	// plain HTTP.
	TLSCertFile string `yaml:"tls_cert_file" json:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file" json:"tls_key_file"`
	// Username for basic authentication. Required unless Anonymous.
	Username string `yaml:"username" json:"username"`
	// PasswordEnv names the environment variable that holds the password;
	// PasswordFile names a file that does (one line). One is required
	// unless Anonymous.
	PasswordEnv  string `yaml:"password_env" json:"password_env"`
	PasswordFile string `yaml:"password_file" json:"password_file"`
	// Anonymous serves the lists without authentication. Default false.
	Anonymous bool `yaml:"anonymous" json:"anonymous"`
	// Lists are the lists served; at least one.
	Lists []ListConfig `yaml:"lists" json:"lists"`
}

// ListConfig is one served list.
type ListConfig struct {
	// Path is the URL path the list is served at ("/pan/ip.txt").
	Path string `yaml:"path" json:"path"`
	// Device is the format: paloalto, fortinet, checkpoint, juniper or
	// bluecoat.
	Device Device `yaml:"device" json:"device"`
	// Type is ip, domain or url (checkpoint and bluecoat also take all).
	Type ListType `yaml:"type" json:"type"`
	// MaxEntries caps the list. Default and upper bound: the device's
	// documented limit (see README).
	MaxEntries int `yaml:"max_entries" json:"max_entries"`
	// Category is the ProxySG category name (bluecoat only). Default
	// "iocflow_block".
	Category string `yaml:"category" json:"category"`
}

// Defaults fills in the documented defaults.
func (c *Config) Defaults() {
	if c.Name == "" {
		c.Name = "edl"
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:9780"
	}
	for i := range c.Lists {
		l := &c.Lists[i]
		if l.MaxEntries == 0 {
			l.MaxEntries = devices[l.Device].maxEntries
		}
		if l.Device == BlueCoat && l.Category == "" {
			l.Category = "iocflow_block"
		}
	}
}

// Validate returns every problem at once, with key paths under prefix.
func (c *Config) Validate(prefix string) error {
	var errs []error
	bad := func(key, msg string) { errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, msg)) }
	if !c.Anonymous && (c.Username == "" || (c.PasswordEnv == "") == (c.PasswordFile == "")) {
		bad("username", "set username and one of password_env, password_file (or anonymous: true)")
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		bad("tls_cert_file", "set both tls_cert_file and tls_key_file, or neither")
	}
	if len(c.Lists) == 0 {
		bad("lists", "name at least one list")
	}
	paths := map[string]bool{}
	for i, l := range c.Lists {
		key := fmt.Sprintf("lists[%d]", i)
		dev, ok := devices[l.Device]
		switch {
		case !ok:
			bad(key+".device", "want paloalto, fortinet, checkpoint, juniper or bluecoat")
		case !slices.Contains(dev.types, l.Type):
			bad(key+".type", fmt.Sprintf("%s lists take types %v", l.Device, dev.types))
		case l.MaxEntries < 1 || l.MaxEntries > dev.maxEntries:
			bad(key+".max_entries", fmt.Sprintf("must be 1 to %d for %s", dev.maxEntries, l.Device))
		}
		if !strings.HasPrefix(l.Path, "/") || paths[l.Path] {
			bad(key+".path", "must start with / and be unique")
		}
		paths[l.Path] = true
		if l.Device == BlueCoat && strings.ContainsAny(l.Category, " \t\r\n") {
			bad(key+".category", "must be one word")
		}
	}
	return errors.Join(errs...)
}

// Adapter holds the set of blocked targets and serves it as lists.
type Adapter struct {
	cfg      Config
	password string
	log      *slog.Logger

	mu      sync.Mutex
	set     map[string]enforce.Target
	version uint64
	changed time.Time
	ready   bool
	lists   []*list
}

// list is one served list and its rendering cache.
type list struct {
	ListConfig
	version uint64 // of the set it was rendered from; 0 = never
	body    []byte
	etag    string
	// held counts the set's targets the list can express; Apply keeps it
	// at or under MaxEntries.
	held int
	// skipped counts targets of the list's type the device cannot express.
	skipped int
	// fetches and notModified count requests served with 200 and 304.
	fetches, notModified int64
}

type entry struct {
	target enforce.Target
	text   string
}

// New builds an adapter; the config must have been through Defaults and
// Validate. The password is read now, from the environment or its file.
func New(c Config, logger *slog.Logger) (*Adapter, error) {
	a := &Adapter{cfg: c, log: logger, set: map[string]enforce.Target{}, changed: time.Now()}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if !c.Anonymous {
		var err error
		if a.password, err = enforce.ReadSecret(c.PasswordEnv, c.PasswordFile); err != nil {
			return nil, fmt.Errorf("edl %s: password: %w", c.Name, err)
		}
	}
	for _, l := range c.Lists {
		a.lists = append(a.lists, &list{ListConfig: l})
	}
	return a, nil
}

// Name implements enforce.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Supports reports whether some list takes targets of kind k.
func (a *Adapter) Supports(k enforce.Kind) bool {
	for _, l := range a.lists {
		if l.Type.takes(k) {
			return true
		}
	}
	return false
}

// Apply adds the target to the set. It fails, to be retried, when a list
// that takes the target is full (so no list is ever cut short silently);
// it fails for good when no list can express it.
func (a *Adapter) Apply(_ context.Context, r enforce.Request) (enforce.Receipt, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := r.Target.Key()
	if _, ok := a.set[key]; ok {
		return enforce.Receipt{Answer: "already listed"}, nil
	}
	fits := 0
	for _, l := range a.lists {
		if _, ok := line(l.Device, r.Target); !ok || !l.Type.takes(r.Target.Kind) {
			continue
		}
		fits++
		if l.held >= l.MaxEntries {
			return enforce.Receipt{}, &enforce.DeviceError{
				Answer: fmt.Sprintf("list %s is full (%d entries)", l.Path, l.MaxEntries)}
		}
	}
	if fits == 0 {
		return enforce.Receipt{}, &enforce.DeviceError{Permanent: true,
			Answer: "no list can express " + r.Target.Kind.String() + " " + r.Target.Value}
	}
	a.set[key] = r.Target
	a.count(r.Target, 1)
	a.bump()
	return enforce.Receipt{Answer: fmt.Sprintf("listed in %d lists", fits)}, nil
}

// count adds d to the held count of every list that can express t.
func (a *Adapter) count(t enforce.Target, d int) {
	for _, l := range a.lists {
		if _, ok := line(l.Device, t); ok && l.Type.takes(t.Kind) {
			l.held += d
		}
	}
}

// Remove takes the target out of the set.
func (a *Adapter) Remove(_ context.Context, r enforce.Request) (enforce.Receipt, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := r.Target.Key()
	if _, ok := a.set[key]; !ok {
		return enforce.Receipt{Answer: "not listed"}, nil
	}
	delete(a.set, key)
	a.count(r.Target, -1)
	a.bump()
	return enforce.Receipt{Answer: "unlisted"}, nil
}

func (a *Adapter) bump() {
	a.version++
	a.changed = time.Now()
}

// Held implements enforce.Lister: the set as it stands.
func (a *Adapter) Held(context.Context) ([]enforce.Target, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]enforce.Target, 0, len(a.set))
	for _, t := range a.set {
		out = append(out, t)
	}
	return out, nil
}

// Ready implements enforce.Readier: lists are served from now on.
func (a *Adapter) Ready() {
	a.mu.Lock()
	a.ready = true
	a.mu.Unlock()
}

// ServeHTTP serves the lists. Until Ready it answers 503 with Retry-After,
// so that a device keeps its last good copy rather than taking a list
// emptied by a restart.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !a.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="iocflow edl", charset="UTF-8"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, etag, changed, ok, ready := a.rendered(r.URL.Path)
	switch {
	case !ready:
		w.Header().Set("Retry-After", "30")
		http.Error(w, "restoring state", http.StatusServiceUnavailable)
		return
	case !ok:
		http.NotFound(w, r)
		return
	}
	a.served(r.URL.Path, r.Header.Get("If-None-Match") == etag)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", changed, strings.NewReader(string(body)))
}

func (a *Adapter) authorized(r *http.Request) bool {
	if a.cfg.Anonymous {
		return true
	}
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	uh, ph := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	wu, wp := sha256.Sum256([]byte(a.cfg.Username)), sha256.Sum256([]byte(a.password))
	return subtle.ConstantTimeCompare(uh[:], wu[:])&subtle.ConstantTimeCompare(ph[:], wp[:]) == 1
}

// rendered returns the current body of the list at path, rendering it
// again if the set changed since.
func (a *Adapter) rendered(
	path string,
) (body []byte, etag string, changed time.Time, ok, ready bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.ready {
		return nil, "", time.Time{}, false, false
	}
	for _, l := range a.lists {
		if l.Path != path {
			continue
		}
		if l.version != a.version || l.body == nil {
			a.render(l)
		}
		return l.body, l.etag, a.changed, true, true
	}
	return nil, "", time.Time{}, false, true
}

// render builds l from the set: entries in device syntax, sorted so that
// an unchanged set gives an unchanged body and ETag.
func (a *Adapter) render(l *list) {
	var es []entry
	l.skipped = 0
	for _, t := range a.set {
		if !l.Type.takes(t.Kind) {
			continue
		}
		text, ok := line(l.Device, t)
		if !ok {
			l.skipped++
			continue
		}
		es = append(es, entry{target: t, text: text})
	}
	slices.SortFunc(es, func(x, y entry) int { return strings.Compare(x.text, y.text) })
	es = slices.CompactFunc(es, func(x, y entry) bool { return x.text == y.text })
	l.body = render(l.Device, l.Category, es)
	sum := sha256.Sum256(l.body)
	l.etag = strconv.Quote(fmt.Sprintf("%x", sum[:16]))
	l.version = a.version
}

// ListenAndServe serves the lists on the configured address until ctx
// ends, then shuts the server down.
func (a *Adapter) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("edl %s: %w", a.cfg.Name, err)
	}
	return a.Serve(ctx, ln)
}

// Serve serves the lists on ln until ctx ends.
func (a *Adapter) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() {
		if a.cfg.TLSCertFile != "" {
			done <- srv.ServeTLS(ln, a.cfg.TLSCertFile, a.cfg.TLSKeyFile)
			return
		}
		done <- srv.Serve(ln)
	}()
	a.log.Info("edl serving", logkey.Address, ln.Addr().String(), logkey.Count, len(a.lists))
	select {
	case err := <-done:
		return fmt.Errorf("edl %s: %w", a.cfg.Name, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("edl %s: shut down: %w", a.cfg.Name, err)
	}
	return nil
}

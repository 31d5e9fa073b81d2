package taxii

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is one TAXII feed as the configuration file states it. Secrets
// are never written inline: they are read from the environment variable or
// the file named.
type Config struct {
	// URL is the discovery URL (https://host/taxii2/). Required unless
	// APIRoot is set.
	URL string `yaml:"url"`
	// APIRoot is the API root to poll; default: the discovery's default.
	APIRoot string `yaml:"api_root"`
	// Collection is the id of the collection to poll. Required.
	Collection string `yaml:"collection"`
	// Username with PasswordEnv or PasswordFile selects basic auth;
	// TokenEnv or TokenFile selects a bearer token. Default: none.
	Username     string `yaml:"username"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	TokenEnv     string `yaml:"token_env"`
	TokenFile    string `yaml:"token_file"`
	// CAFile adds PEM roots for the server's certificate; default: the
	// system roots. CertFile and KeyFile give a client certificate.
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName overrides the name checked in the server's certificate.
	ServerName string `yaml:"server_name"`
	// Timeout bounds one HTTP request; default 60s.
	Timeout time.Duration `yaml:"timeout"`
	// PollInterval is the time between polls; default 15m, at least 1m.
	PollInterval time.Duration `yaml:"poll_interval"`
	// PageSize is the limit asked for per page; default 1000.
	PageSize int `yaml:"page_size"`
	// MaxRetries bounds the retries of one request; default 4.
	MaxRetries int `yaml:"max_retries"`
}

// Defaults fills in the documented defaults of zero fields.
func (c *Config) Defaults() {
	if c.Timeout == 0 {
		c.Timeout = 60 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = 15 * time.Minute
	}
	if c.PageSize == 0 {
		c.PageSize = 1000
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
}

// Validate returns every problem of c at once, each with its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, msg string) { errs = append(errs, fmt.Errorf("%s: %s", key, msg)) }
	if c.URL == "" && c.APIRoot == "" {
		bad("url", "required unless api_root is set")
	}
	for key, v := range map[string]string{"url": c.URL, "api_root": c.APIRoot} {
		if u, err := url.Parse(v); v != "" && (err != nil || u.Host == "" ||
			(u.Scheme != "https" && u.Scheme != "http")) {
			bad(key, "must be an absolute http(s) URL")
		} else if v != "" && u.User != nil {
			bad(key, "must not hold credentials; use username and password_env")
		}
	}
	if checkID(c.Collection) != nil {
		bad("collection", "must be a collection id")
	}
	if (c.PasswordEnv != "" || c.PasswordFile != "") && c.Username == "" {
		bad("username", "required with a password")
	}
	if c.Username != "" && (c.TokenEnv != "" || c.TokenFile != "") {
		bad("token_env", "basic and bearer auth exclude each other")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		bad("cert_file", "cert_file and key_file go together")
	}
	if c.PollInterval < time.Minute {
		bad("poll_interval", "must be ≥ 1m")
	}
	if c.PageSize < 0 || c.Timeout < 0 || c.MaxRetries < 0 {
		bad("page_size", "page_size, timeout and max_retries must not be negative")
	}
	return errors.Join(errs...)
}

// NewClient builds a Client from a validated config: credentials read
// from the environment or files, TLS settings applied.
func NewClient(c *Config) (*Client, error) {
	auth, err := c.auth()
	if err != nil {
		return nil, err
	}
	hc, err := NewHTTPClient(c)
	if err != nil {
		return nil, err
	}
	return &Client{BaseURL: c.URL, HTTPClient: hc, Auth: auth, MaxRetries: c.MaxRetries}, nil
}

func (c *Config) auth() (Auth, error) {
	switch {
	case c.Username != "":
		pw, err := secret("password", c.PasswordEnv, c.PasswordFile)
		return BasicAuth{Username: c.Username, Password: pw}, err
	case c.TokenEnv != "" || c.TokenFile != "":
		tok, err := secret("token", c.TokenEnv, c.TokenFile)
		return BearerAuth{Token: tok}, err
	}
	return nil, nil
}

// secret reads a secret from an environment variable or a file; the error
// names where it looked, never what it found.
func secret(what, env, file string) (string, error) {
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("%s: environment variable %s is not set", what, env)
		}
		return v, nil
	}
	if file == "" {
		return "", nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return strings.TrimSpace(string(data)), nil
}

// NewHTTPClient returns an http.Client with the config's timeout and TLS
// settings (TLS 1.2 at least).
func NewHTTPClient(c *Config) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cert_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

package taxii

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Discovery is the server's discovery resource (TAXII 2.1 section 4.1.1).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is an API root's information (TAXII 2.1 section 4.2.1).
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection is a collection resource (TAXII 2.1 section 5.2.1).
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Discover reads the discovery resource at BaseURL. API root URLs in it
// are made absolute against BaseURL.
func (c *Client) Discover(ctx context.Context) (*Discovery, error) {
	var d Discovery
	if _, err := c.getJSON(ctx, c.BaseURL, &d); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	for i, r := range d.APIRoots {
		d.APIRoots[i] = resolve(c.BaseURL, r)
	}
	if d.Default != "" {
		d.Default = resolve(c.BaseURL, d.Default)
	}
	return &d, nil
}

// APIRoot reads the information of the API root at rootURL.
func (c *Client) APIRoot(ctx context.Context, rootURL string) (*APIRoot, error) {
	var r APIRoot
	if _, err := c.getJSON(ctx, dirURL(rootURL), &r); err != nil {
		return nil, fmt.Errorf("read API root: %w", err)
	}
	if !supports21(r.Versions) {
		return &r, fmt.Errorf("read API root %s: versions %q do not include TAXII 2.1",
			redact(rootURL), r.Versions)
	}
	return &r, nil
}

func supports21(versions []string) bool {
	for _, v := range versions {
		if strings.ReplaceAll(v, " ", "") == MediaType {
			return true
		}
	}
	return len(versions) == 0
}

// Collections lists the collections of the API root at rootURL.
func (c *Client) Collections(ctx context.Context, rootURL string) ([]Collection, error) {
	var body struct {
		Collections []Collection `json:"collections"`
	}
	if _, err := c.getJSON(ctx, dirURL(rootURL)+"collections/", &body); err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	return body.Collections, nil
}

// Collection reads one collection's resource.
func (c *Client) Collection(ctx context.Context, rootURL, id string) (*Collection, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var col Collection
	if _, err := c.getJSON(ctx, dirURL(rootURL)+"collections/"+id+"/", &col); err != nil {
		return nil, fmt.Errorf("read collection %s: %w", id, err)
	}
	return &col, nil
}

// checkID refuses collection ids that would change the request path.
func checkID(id string) error {
	if id == "" || strings.ContainsAny(id, "/?#%\\ ") || id == "." || id == ".." {
		return fmt.Errorf("collection id %q is not a plain path segment", id)
	}
	return nil
}

// dirURL returns u with a trailing slash: TAXII URLs end with one (TAXII
// 2.1 section 3.2).
func dirURL(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

// resolve makes ref absolute against base; a reference that does not
// parse is returned unchanged and fails when used.
func resolve(base, ref string) string {
	b, err1 := url.Parse(base)
	r, err2 := url.Parse(ref)
	if err := errors.Join(err1, err2); err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}

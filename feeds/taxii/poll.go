package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query narrows a poll of a collection's objects (TAXII 2.1 section 3.4).
type Query struct {
	// AddedAfter asks for objects added strictly after this timestamp, as
	// the server wrote it in X-TAXII-Date-Added-Last; "" asks for all.
	AddedAfter string
	// Limit asks for at most this many objects per page; 0 leaves it to
	// the server, which may cap it anyway.
	Limit int
	// Types restricts the STIX object types (match[type]); nil means all.
	Types []string
}

// Page is one answer of the objects endpoint.
type Page struct {
	// Objects are the STIX objects of the page, undecoded; they belong to
	// the caller.
	Objects []json.RawMessage
	// More and Next are the envelope's paging fields.
	More bool
	Next string
	// DateAddedFirst and DateAddedLast are the X-TAXII-Date-Added-First
	// and -Last headers: the date_added range of the page, "" if absent.
	DateAddedFirst, DateAddedLast string
	// Cursor is the AddedAfter that resumes after this page: the newest
	// DateAddedLast seen so far in the poll, else the query's AddedAfter.
	Cursor string
}

type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// DefaultMaxPages bounds the pages of one poll, against a server that
// never says it is done.
const DefaultMaxPages = 100000

// ErrNoProgress is returned when a server keeps saying "more" without
// moving on, which would loop for ever.
var ErrNoProgress = errors.New("server reports more objects but paging does not advance")

// Poll reads a collection's objects page by page, following next tokens,
// or, when a server says "more" without a token, asking again with
// added_after set to the page's X-TAXII-Date-Added-Last (TAXII 2.1 section
// 3.4.1). It stops after the page with more=false, at the first error
// (yielded with a nil page), or when the caller stops ranging. A token is
// never reused after the page that ended its run: some servers (medallion)
// hand out the same token for every page and reject it after the last.
func (c *Client) Poll(ctx context.Context, rootURL, collectionID string,
	q Query) iter.Seq2[*Page, error] {
	return func(yield func(*Page, error) bool) {
		if err := checkID(collectionID); err != nil {
			yield(nil, err)
			return
		}
		base := dirURL(rootURL) + "collections/" + collectionID + "/objects/"
		cursor, next := q.AddedAfter, ""
		stalled := 0
		for n := 0; ; n++ {
			if n >= DefaultMaxPages {
				yield(nil, fmt.Errorf("poll %s: more than %d pages", collectionID, DefaultMaxPages))
				return
			}
			p, err := c.page(ctx, base, q, next)
			if err != nil {
				yield(nil, fmt.Errorf("poll %s page %d: %w", collectionID, n+1, err))
				return
			}
			if later(p.DateAddedLast, cursor) {
				cursor = p.DateAddedLast
			}
			p.Cursor = cursor
			if !yield(p, nil) || !p.More {
				return
			}
			switch {
			case p.Next != "":
				next = p.Next
			case p.DateAddedLast != "" && later(p.DateAddedLast, q.AddedAfter):
				q.AddedAfter, next = p.DateAddedLast, ""
			default:
				yield(nil, fmt.Errorf("poll %s page %d: %w: no next token and no newer "+
					"X-TAXII-Date-Added-Last", collectionID, n+1, ErrNoProgress))
				return
			}
			if stalled = stalledCount(stalled, p); stalled >= 3 {
				yield(nil, fmt.Errorf("poll %s page %d: %w: 3 empty pages in a row",
					collectionID, n+1, ErrNoProgress))
				return
			}
		}
	}
}

func stalledCount(n int, p *Page) int {
	if len(p.Objects) == 0 {
		return n + 1
	}
	return 0
}

// page fetches one page.
func (c *Client) page(ctx context.Context, base string, q Query, next string) (*Page, error) {
	v := url.Values{}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.AddedAfter != "" {
		v.Set("added_after", q.AddedAfter)
	}
	if len(q.Types) > 0 {
		v.Set("match[type]", strings.Join(q.Types, ","))
	}
	if next != "" {
		v.Set("next", next)
	}
	u := base
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	var env envelope
	resp, err := c.getJSON(ctx, u, &env)
	if err != nil {
		return nil, err
	}
	return &Page{
		Objects: env.Objects, More: env.More, Next: env.Next,
		DateAddedFirst: resp.header.Get("X-TAXII-Date-Added-First"),
		DateAddedLast:  resp.header.Get("X-TAXII-Date-Added-Last"),
	}, nil
}

// later reports whether timestamp a is after b; "" is before everything.
// Timestamps that do not parse compare as text, which orders RFC 3339 UTC
// stamps of equal precision correctly.
func later(a, b string) bool {
	if a == "" {
		return false
	}
	if b == "" {
		return true
	}
	ta, err1 := ParseTimestamp(a)
	tb, err2 := ParseTimestamp(b)
	if err1 != nil || err2 != nil {
		return a > b
	}
	return ta.After(tb)
}

// ParseTimestamp reads a TAXII timestamp liberally: RFC 3339 with any
// number of fraction digits, and the three-digit seconds of one example
// in the spec ("2016-11-04T03:04:051Z", read as 05.1).
func ParseTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if len(s) == len("2006-01-02T15:04:051Z") && s[len(s)-1] == 'Z' {
		fixed := s[:19] + "." + s[19:]
		if t, err := time.Parse(time.RFC3339Nano, fixed); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339", s)
}

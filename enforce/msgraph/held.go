package msgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/enforce"
)

// Read-back limits.
const (
	// pageSize is the $top of a folder listing: Graph serves 1 to 1,000
	// messages a page (10 when $top is missing).
	pageSize = 1000
	// maxPages bounds the listing of one quarantine folder (100,000
	// messages), so a runaway next link cannot loop for ever.
	maxPages = 100
)

// Held implements enforce.Lister. For each mailbox the adapter has
// quarantined mail in, it lists the quarantine folder
// (GET /users/{mailbox}/mailFolders/{folder}/messages, only
// internetMessageId, page by page) and returns the targets the adapter
// moved there that are still there. Messages in the folder that this
// adapter did not put there are never returned, so reconciliation leaves
// them alone: the quarantine folder may be shared (junkemail). A target
// moved out of the folder by someone else is missing from the result, so
// reconciliation applies it again.
//
// The adapter knows what it quarantined from its own Apply and Remove
// calls since the process started; Held returns nothing before the first.
// A mailbox or folder Graph does not find (404) holds nothing.
func (a *Adapter) Held(ctx context.Context) ([]enforce.Target, error) {
	byMailbox := map[string][]enforce.Target{}
	a.qmu.Lock()
	for _, t := range a.quarantined {
		byMailbox[t.Mailbox] = append(byMailbox[t.Mailbox], t)
	}
	a.qmu.Unlock()

	var out []enforce.Target
	for _, mb := range slices.Sorted(maps.Keys(byMailbox)) {
		ids, err := a.listFolder(ctx, mb)
		if err != nil {
			return nil, fmt.Errorf("read back quarantine folder: %w", err)
		}
		for _, t := range byMailbox[mb] {
			if ids[t.Value] {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// remember adds t to the targets Held looks for, or drops it.
func (a *Adapter) remember(t enforce.Target, quarantined bool) {
	a.qmu.Lock()
	defer a.qmu.Unlock()
	if quarantined {
		a.quarantined[t.Key()] = t
		return
	}
	delete(a.quarantined, t.Key())
}

// listFolder returns the Internet message ids of every message in the
// mailbox's quarantine folder.
func (a *Adapter) listFolder(ctx context.Context, mailbox string) (map[string]bool, error) {
	q := url.Values{"$select": {"internetMessageId"}, "$top": {strconv.Itoa(pageSize)}}
	next := a.userURL(mailbox) + "/mailFolders/" + url.PathEscape(a.cfg.QuarantineFolder) +
		"/messages?" + q.Encode()
	ids := map[string]bool{}
	for page := 1; page <= maxPages; page++ {
		body, _, err := a.do(ctx, http.MethodGet, next, nil)
		var de *enforce.DeviceError
		if page == 1 && errors.As(err, &de) && strings.HasPrefix(de.Answer, "HTTP 404") {
			return ids, nil
		}
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", page, err)
		}
		link, err := readPage(body, ids)
		if err != nil {
			return nil, fmt.Errorf("read page %d: %w", page, err)
		}
		if link == "" {
			return ids, nil
		}
		// The link is opaque and followed whole, but the bearer token goes
		// only where graph_url points.
		if !a.isGraphURL(link) {
			return nil, &enforce.DeviceError{
				Answer: "next page link outside graph_url", Permanent: true,
			}
		}
		next = link
	}
	return nil, fmt.Errorf("more than %d pages", maxPages)
}

// readPage adds the Internet message ids of one listing page to ids and
// returns the page's next link, empty on the last page.
func readPage(body []byte, ids map[string]bool) (string, error) {
	var resp struct {
		Value []struct {
			InternetMessageID string `json:"internetMessageId"`
		} `json:"value"`
		NextLink string `json:"@odata.nextLink"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return "", err
	}
	for _, m := range resp.Value {
		ids[m.InternetMessageID] = true
	}
	return resp.NextLink, nil
}

// isGraphURL reports whether link has the scheme and host of graph_url.
func (a *Adapter) isGraphURL(link string) bool {
	u, err1 := url.Parse(link)
	g, err2 := url.Parse(a.cfg.GraphURL)
	return err1 == nil && err2 == nil && u.Scheme == g.Scheme && strings.EqualFold(u.Host, g.Host)
}

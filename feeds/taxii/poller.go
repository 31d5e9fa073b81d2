package taxii

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/stix"
	"github.com/iocflow/iocflow/internal/logkey"
)

// Poller polls one collection into a stix.Store, so that every poll ends
// with the complete indicator set of the collection, newest object
// versions only, built from everything read so far.
//
// Restarts: with Cursors and StatePath set, the store's objects are saved
// to StatePath (a STIX bundle) and then the cursor to Cursors after each
// poll; a new Poller loads both and asks only for objects added since. A
// saved cursor without its state file is ignored (the poll starts over),
// since a cursor alone would lose the older objects. Saving the state
// before the cursor means a crash between the two repeats objects, which
// the store ignores, and never skips any.
//
// A Poller is used by one goroutine.
type Poller struct {
	Client     *Client
	APIRoot    string
	Collection string
	// Feed names the indicators' source.
	Feed string
	// Limit is the page size asked for; 0 leaves it to the server.
	Limit int
	// Cursors and StatePath keep the poll position across restarts; both
	// or neither must be set.
	Cursors   CursorStore
	StatePath string
	// Logger receives one summary line per poll; nil discards.
	Logger *slog.Logger
	// Now stamps cursors; default time.Now.
	Now func() time.Time

	store  *stix.Store
	cursor Cursor
}

// Update is what one poll gave.
type Update struct {
	// Result is the collection's complete indicator set after the poll,
	// with the rejects of this poll's objects and of the indicators. It
	// replaces the previous Result of the feed.
	Result *feeds.Result
	// Changes lists the STIX objects this poll added, replaced or revoked;
	// empty when nothing changed.
	Changes []stix.Change
	Pages   int
	Objects int
	Cursor  Cursor
}

func (p *Poller) key() string { return dirURL(p.APIRoot) + " " + p.Collection }

// Poll reads every page added since the last poll. When a page fails,
// nothing of this poll is kept or saved, the previous Result stays in
// force and the next Poll starts again from the same cursor. When saving
// fails, the store keeps the objects but the cursor does not move: the
// next Poll reads them again and reports no changes for them, while its
// Result is complete.
func (p *Poller) Poll(ctx context.Context) (*Update, error) {
	if (p.Cursors == nil) != (p.StatePath == "") {
		return nil, errors.New("poller: Cursors and StatePath must be set together")
	}
	if err := p.restore(ctx); err != nil {
		return nil, err
	}
	var pages [][]json.RawMessage
	u := &Update{Cursor: p.cursor}
	q := Query{AddedAfter: p.cursor.AddedAfter, Limit: p.Limit}
	for page, err := range p.Client.Poll(ctx, p.APIRoot, p.Collection, q) {
		if err != nil {
			return nil, err
		}
		pages = append(pages, page.Objects)
		u.Pages++
		u.Objects += len(page.Objects)
		u.Cursor.AddedAfter = page.Cursor
	}
	b := feeds.NewBuilder(p.Feed, "taxii")
	for i, objs := range pages {
		changes, rejects := p.store.Add(objs, "")
		u.Changes = append(u.Changes, changes...)
		for _, r := range rejects {
			b.Reject(fmt.Sprintf("page %d %s", i+1, r.Position), r.Value, r.Reason)
		}
	}
	p.store.Build(b)
	u.Result = b.Result()
	u.Cursor.Polled = p.now()
	if err := p.save(ctx, u.Cursor); err != nil {
		return nil, err
	}
	p.cursor = u.Cursor
	p.logger().LogAttrs(ctx, slog.LevelInfo, "taxii collection polled",
		slog.String(logkey.Feed, p.Feed), slog.Int("pages", u.Pages),
		slog.Int("objects", u.Objects), slog.Int("changes", len(u.Changes)),
		slog.Int(logkey.Count, len(u.Result.Indicators)))
	return u, nil
}

// restore loads the saved state once per Poller.
func (p *Poller) restore(ctx context.Context) error {
	if p.store != nil {
		return nil
	}
	p.store = stix.NewStore()
	if p.Cursors == nil {
		return nil
	}
	c, err := p.Cursors.Load(ctx, p.key())
	if err != nil {
		return err
	}
	data, err := os.ReadFile(p.StatePath)
	if errors.Is(err, fs.ErrNotExist) {
		if c.AddedAfter != "" {
			p.logger().LogAttrs(ctx, slog.LevelWarn, "taxii cursor without state, polling all",
				slog.String(logkey.Feed, p.Feed), slog.String(logkey.Path, p.StatePath))
		}
		return nil
	}
	if err != nil {
		p.store = nil
		return fmt.Errorf("read state: %w", err)
	}
	objs, _, err := stix.DecodeBundle(data)
	if err != nil {
		p.store = nil
		return fmt.Errorf("read state %s: %w", p.StatePath, err)
	}
	p.store.Add(objs, "")
	p.cursor = c
	return nil
}

// save writes the state, then the cursor.
func (p *Poller) save(ctx context.Context, c Cursor) error {
	if p.Cursors == nil {
		return nil
	}
	state := struct {
		Type    string            `json:"type"`
		ID      string            `json:"id"`
		Objects []json.RawMessage `json:"objects"`
	}{"bundle", "bundle--" + uuid4(), p.store.Objects()}
	data, err := json.Marshal(state)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(p.StatePath, data); err != nil {
		return err
	}
	return p.Cursors.Save(ctx, p.key(), c)
}

// uuid4 returns a random (version 4) UUID.
func uuid4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

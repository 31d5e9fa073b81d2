// Package store keeps the indicator set in force per feed and turns every
// change of a feed's set into changes of the merged indicators, which it
// hands to a feeds.Publisher: a refresh where ten lines changed publishes
// ten changes, whatever the size of the feed. The same (type, value) listed
// by several feeds is one merged indicator with the sources of each, so a
// feed that drops its source makes an Updated change while another feed
// still lists the value, and Removed only when none does.
//
// A set is put in force only after its changes were published (and, for a
// durable feed, written to disk): when either fails, the previous set stays
// in force and the caller may try again, which publishes the same changes.
// Parsing, sanity checks and scheduling are left to feeds/schedule and
// feeds/upload.
//
// A Store is safe for concurrent use. Writers are serialised and hold no
// lock that readers need while they publish; see LOCKS.md.
package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// Options configures a Store.
type Options struct {
	// Publisher receives the changes of the merged set; nil means changes
	// are only returned to the caller.
	Publisher feeds.Publisher
	// Dir is the folder where durable feeds are kept, one JSON file per
	// feed; it is created when missing. Required when Durable is not empty.
	Dir string
	// Durable names the feeds that are written to Dir on every change and
	// read back by New ("uploads"): feeds that nothing could fetch again.
	Durable []string
}

// Store holds the indicator set in force of every feed and their merge.
type Store struct {
	pub     feeds.Publisher
	dir     string
	durable map[string]bool

	// wmu serialises writers for the whole of a change: diff, publish,
	// persist, commit. Writers read the maps below under wmu alone, since
	// only a writer holding wmu changes them.
	wmu sync.Mutex
	// mu guards the maps below; writers take it only to commit.
	mu     sync.RWMutex
	sets   map[string]*feeds.Set
	names  []string // feed names in sorted order: the order of merged sources
	merged map[string]*ioc.Indicator
}

// ErrUnknownFeed is returned for a feed the store holds no set for.
var ErrUnknownFeed = errors.New("unknown feed")

// New returns a store, with the durable feeds read back from Dir.
func New(o Options) (*Store, error) {
	s := &Store{
		pub: o.Publisher, dir: o.Dir, durable: map[string]bool{},
		sets: map[string]*feeds.Set{}, merged: map[string]*ioc.Indicator{},
	}
	if len(o.Durable) > 0 && o.Dir == "" {
		return nil, errors.New("durable feeds need a folder")
	}
	for _, name := range o.Durable {
		if err := checkFeedName(name); err != nil {
			return nil, err
		}
		s.durable[name] = true
		inds, err := s.load(name)
		if err != nil {
			return nil, err
		}
		s.restoreFeed(name, feeds.NewSet(inds))
	}
	return s, nil
}

// Restore seeds the store with indicators already published, such as
// those read back from the compacted indicator topic at start-up, without
// publishing anything: their sources are sorted back into the sets of
// their feeds, so that the first refresh of each feed publishes only what
// changed since and removes what vanished meanwhile. Feeds that already
// have a set (durable feeds read by New) keep it. Call Restore before the
// first change.
func (s *Store) Restore(inds []*ioc.Indicator) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	per := map[string][]*ioc.Indicator{}
	for _, in := range inds {
		if in == nil {
			continue
		}
		for _, src := range in.Sources {
			if _, have := s.sets[src.Feed]; have {
				continue
			}
			// One indicator per source: NewSet merges those of one feed.
			per[src.Feed] = append(per[src.Feed], &ioc.Indicator{ID: in.ID, Type: in.Type,
				Value: in.Value, Sources: []ioc.Source{src}})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(per)) {
		s.restoreFeed(name, feeds.NewSet(per[name]))
	}
}

// restoreFeed puts set in force for feed without publishing.
func (s *Store) restoreFeed(feed string, set *feeds.Set) {
	p := &pending{feed: feed, next: set}
	s.commit(p, s.mergedChanges(p, feeds.Diff(s.sets[feed], set)))
}

// Replace puts inds in force as the whole set of feed, in place of the
// set it had, and returns the changes of the merged set that this made
// (published already). The indicators must all come from feed, as a
// feeds.Result's do; they are kept and must not be modified afterwards.
// An empty inds empties the feed: callers guard against broken feeds.
func (s *Store) Replace(ctx context.Context, feed string, inds []*ioc.Indicator,
) ([]feeds.Change, error) {
	return s.apply(ctx, &pending{feed: feed, next: feeds.NewSet(inds)})
}

// Upsert puts each of inds in force for feed in place of the feed's
// indicator with the same id, leaving the feed's other indicators as they
// are, and returns the changes made. See Replace for ownership.
func (s *Store) Upsert(ctx context.Context, feed string, inds []*ioc.Indicator,
) ([]feeds.Change, error) {
	patch := make(map[string]*ioc.Indicator, len(inds))
	for _, in := range feeds.NewSet(inds).Indicators() {
		patch[in.ID] = in
	}
	return s.apply(ctx, &pending{feed: feed, patch: patch})
}

// Remove takes the indicators with the given ids out of feed and returns
// the changes made; the sources other feeds give for the same ids stay.
// It returns the ids feed did not hold in missing and does nothing for
// them.
func (s *Store) Remove(ctx context.Context, feed string, ids []string,
) (changes []feeds.Change, missing []string, err error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	set := s.sets[feed]
	patch := map[string]*ioc.Indicator{}
	for _, id := range ids {
		if _, ok := set.Get(id); !ok {
			missing = append(missing, id)
			continue
		}
		patch[id] = nil
	}
	if len(patch) == 0 {
		return nil, missing, nil
	}
	changes, err = s.applyLocked(ctx, &pending{feed: feed, patch: patch, next: set.With(patch)})
	return changes, missing, err
}

// Get returns the merged indicator in force with the given id. The
// indicator is shared and must not be modified.
func (s *Store) Get(id string) (*ioc.Indicator, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	in, ok := s.merged[id]
	return in, ok
}

// FeedIndicator returns what feed alone says about the indicator id.
func (s *Store) FeedIndicator(feed, id string) (*ioc.Indicator, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sets[feed].Get(id)
}

// Len returns the number of indicators feed has in force.
func (s *Store) Len(feed string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sets[feed].Len()
}

// Feeds returns the names of the feeds with a set, sorted.
func (s *Store) Feeds() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.names)
}

// FeedIDs returns the ids of feed's indicators in force, sorted. The
// caller owns the slice.
func (s *Store) FeedIDs(feed string) []string {
	s.mu.RLock()
	set := s.sets[feed]
	s.mu.RUnlock()
	ids := make([]string, 0, set.Len())
	for _, in := range set.Indicators() {
		ids = append(ids, in.ID)
	}
	slices.Sort(ids)
	return ids
}

// Indicators returns every merged indicator in force, in no particular
// order, to build a matcher snapshot from. The caller owns the slice; the
// indicators are shared and must not be modified.
func (s *Store) Indicators() []*ioc.Indicator {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Collect(maps.Values(s.merged))
}

// pending is one change of one feed's set: the set it will have, and for
// Upsert and Remove the patch that made it (ids to set, nil to remove),
// which limits the diff to the ids patched.
type pending struct {
	feed  string
	next  *feeds.Set
	patch map[string]*ioc.Indicator
}

// feedChanges returns the changes of p.feed's own set.
func (p *pending) feedChanges(set *feeds.Set) []feeds.Change {
	if p.patch == nil {
		return feeds.Diff(set, p.next)
	}
	var out []feeds.Change
	for _, id := range slices.Sorted(maps.Keys(p.patch)) {
		in := p.patch[id]
		prev, had := set.Get(id)
		switch {
		case in == nil && had:
			out = append(out, feeds.Change{Op: feeds.Removed, ID: id})
		case in == nil:
		case !had:
			out = append(out, feeds.Change{Op: feeds.Added, ID: id, Indicator: in})
		case !feeds.SameSources(prev.Sources, in.Sources):
			out = append(out, feeds.Change{Op: feeds.Updated, ID: id, Indicator: in})
		}
	}
	return out
}

func (s *Store) apply(ctx context.Context, p *pending) ([]feeds.Change, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if p.next == nil {
		p.next = s.sets[p.feed].With(p.patch)
	}
	return s.applyLocked(ctx, p)
}

// applyLocked diffs, publishes, persists and commits p. Called with wmu
// held.
func (s *Store) applyLocked(ctx context.Context, p *pending) ([]feeds.Change, error) {
	changes := s.mergedChanges(p, p.feedChanges(s.sets[p.feed]))
	if len(changes) > 0 && s.pub != nil {
		if err := s.pub.Publish(ctx, changes); err != nil {
			return nil, fmt.Errorf("publish %d changes: %w", len(changes), err)
		}
	}
	if s.durable[p.feed] {
		if err := s.save(p.feed, p.next); err != nil {
			return nil, err
		}
	}
	s.commit(p, changes)
	return changes, nil
}

// mergedChanges turns the changes of p.feed's own set into changes of the
// merged set. Called with wmu held.
func (s *Store) mergedChanges(p *pending, fc []feeds.Change) []feeds.Change {
	if len(fc) == 0 {
		return nil
	}
	names := s.names
	if _, ok := slices.BinarySearch(names, p.feed); !ok {
		names = insertSorted(slices.Clone(names), p.feed)
	}
	out := make([]feeds.Change, 0, len(fc))
	for _, c := range fc {
		before := s.merged[c.ID]
		after := s.mergeID(names, p, c.ID)
		switch {
		case after == nil && before != nil:
			out = append(out, feeds.Change{Op: feeds.Removed, ID: c.ID})
		case after == nil:
		case before == nil:
			out = append(out, feeds.Change{Op: feeds.Added, ID: c.ID, Indicator: after})
		case !feeds.SameSources(before.Sources, after.Sources):
			out = append(out, feeds.Change{Op: feeds.Updated, ID: c.ID, Indicator: after})
		}
	}
	return out
}

// mergeID returns the merged indicator id once p is applied: the sources
// of every feed in name order, or nil when no feed lists id. When one feed
// alone lists it, that feed's indicator is returned as it is.
func (s *Store) mergeID(names []string, p *pending, id string) *ioc.Indicator {
	var first, out *ioc.Indicator
	for _, name := range names {
		set := s.sets[name]
		if name == p.feed {
			set = p.next
		}
		in, _ := set.Get(id)
		switch {
		case in == nil:
		case first == nil:
			first = in
		case out == nil:
			out = &ioc.Indicator{ID: first.ID, Type: first.Type, Value: first.Value}
			out.Sources = append(slices.Clip(first.Sources), in.Sources...)
		default:
			out.Sources = append(out.Sources, in.Sources...)
		}
	}
	if out != nil {
		return out
	}
	return first
}

// commit puts p and its merged changes in force. Called with wmu held.
func (s *Store) commit(p *pending, changes []feeds.Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets[p.feed] = p.next
	if _, ok := slices.BinarySearch(s.names, p.feed); !ok {
		s.names = insertSorted(s.names, p.feed)
	}
	for _, c := range changes {
		if c.Op == feeds.Removed {
			delete(s.merged, c.ID)
			continue
		}
		s.merged[c.ID] = c.Indicator
	}
}

func insertSorted(names []string, name string) []string {
	i, _ := slices.BinarySearch(names, name)
	return slices.Insert(names, i, name)
}

package upload

import (
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/allowlist"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/list"
	"github.com/iocflow/iocflow/feeds/schedule"
	"github.com/iocflow/iocflow/feeds/store"
	"github.com/iocflow/iocflow/internal/logkey"
)

// Formats are the upload formats in the order they are tried on a body
// whose Content-Type does not name one.
var Formats = []feeds.Format{JSON{}, list.CSV{}, list.Plain{}}

// Page sizes of GET /api/v1/indicators, and how much of a rejected value
// is echoed back.
const (
	defaultPage = 1000
	maxPage     = 10000
	maxValueLen = 256 // of a rejected value echoed back
)

// Handler serves the indicator upload API under /api/v1/indicators. It
// keeps uploads in the store's feed "uploads", which should be durable.
type Handler struct {
	mux     *http.ServeMux
	tokens  *Tokens
	store   *store.Store
	maxBody int64
	log     *slog.Logger
	now     func() time.Time
	stats   Stats
	// allow, when set, keeps its values out of every upload.
	allow *allowlist.List
}

// Stats counts what the API did, for the metrics the caller exports.
type Stats struct {
	Uploads      atomic.Int64 // POST requests that put something in force
	Accepted     atomic.Int64 // indicators accepted by uploads
	Rejected     atomic.Int64 // records rejected by uploads
	Deleted      atomic.Int64
	Unauthorized atomic.Int64 // requests without a valid token
	Forbidden    atomic.Int64 // viewer tokens that tried to write
}

// New returns the API handler. cfg must have had Defaults applied; logger
// nil discards.
func New(cfg Config, tokens *Tokens, st *store.Store, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{mux: http.NewServeMux(), tokens: tokens, store: st,
		maxBody: int64(cfg.MaxBody), log: logger, now: time.Now}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	h.mux.Handle("POST /api/v1/indicators", h.auth(RoleCurator, h.post))
	h.mux.Handle("GET /api/v1/indicators", h.auth(RoleViewer, h.list))
	h.mux.Handle("GET /api/v1/indicators/{id...}", h.auth(RoleViewer, h.get))
	h.mux.Handle("DELETE /api/v1/indicators/{id...}", h.auth(RoleCurator, h.delete))
	return h
}

// SetAllowlist makes every later upload drop the indicators l covers
// before the store sees them; the answer lists each with the entry's
// reason. Call it before serving; l must not change afterwards. Nil
// filters nothing.
func (h *Handler) SetAllowlist(l *allowlist.List) { h.allow = l }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Stats returns the handler's counters.
func (h *Handler) Stats() *Stats { return &h.stats }

// auth lets a request through when its bearer token has at least role.
func (h *Handler) auth(role Role, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := RoleNone
		if ok {
			got = h.tokens.Role(strings.TrimSpace(token))
		}
		switch {
		case got == RoleNone:
			h.stats.Unauthorized.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer realm="iocflow"`)
			writeError(w, http.StatusUnauthorized, "a valid bearer token is required")
		case got < role:
			h.stats.Forbidden.Add(1)
			writeError(w, http.StatusForbidden, "this token may only read")
		default:
			next(w, r)
		}
	})
}

// UploadResponse is the answer to POST /api/v1/indicators.
type UploadResponse struct {
	Feed   string `json:"feed"`
	Format string `json:"format"`
	// Accepted counts the indicators the upload gave; Added, Updated and
	// Unchanged say what that did to the indicators in force.
	Accepted  int `json:"accepted"`
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Indicators lists the accepted indicators, with the value as uploaded
	// when refanging or canonicalisation changed it.
	Indicators []Accepted `json:"indicators"`
	// Rejected lists every record that was not accepted, with why.
	Rejected    []Rejected `json:"rejected"`
	NotEnforced []Rejected `json:"not_enforced,omitempty"`
	// Suppressed lists the values the allowlist kept out, with the entry
	// that did (its reason); they are not in force and not counted as
	// accepted.
	Suppressed []Rejected `json:"suppressed,omitempty"`
}

// Accepted is one indicator an upload gave.
type Accepted struct {
	ID       string `json:"id"`
	Original string `json:"original,omitempty"`
}

// Rejected is one record an upload did not accept.
type Rejected struct {
	Position string `json:"position"`
	Value    string `json:"value,omitempty"`
	Reason   string `json:"reason"`
}

func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	want, err := formatOf(r.Header.Get("Content-Type"))
	if err != nil {
		writeError(w, http.StatusUnsupportedMediaType, err.Error())
		return
	}
	body := http.MaxBytesReader(w, r.Body, h.maxBody)
	res, err := schedule.Read(FeedName, "", body, Formats, want)
	if err != nil {
		h.readFailed(w, err)
		return
	}
	now := h.now().UTC()
	for _, in := range res.Indicators {
		for i := range in.Sources {
			in.Sources[i].Modified = now
		}
	}
	suppressed := h.suppress(res)
	resp := newUploadResponse(res)
	resp.Suppressed = suppressed
	h.stats.Rejected.Add(int64(len(res.Rejects)))
	if len(res.Indicators) == 0 {
		status := http.StatusUnprocessableEntity
		if len(res.Rejects) == 0 && len(suppressed) == 0 {
			status = http.StatusBadRequest
			resp.Rejected = []Rejected{{Position: "body", Reason: "no indicators"}}
		}
		writeJSON(w, status, resp)
		return
	}
	changes, err := h.store.Upsert(r.Context(), FeedName, res.Indicators)
	if err != nil {
		h.log.Error("upload not put in force", logkey.Feed, FeedName, logkey.Err, err)
		writeError(w, http.StatusServiceUnavailable, "indicators could not be put in force; retry")
		return
	}
	countChanges(&resp, changes)
	h.stats.Uploads.Add(1)
	h.stats.Accepted.Add(int64(resp.Accepted))
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "indicators uploaded",
		slog.String(logkey.Feed, FeedName), slog.String(logkey.Format, res.Format),
		slog.Int(logkey.Count, resp.Accepted), slog.Int("rejected", len(resp.Rejected)),
		slog.Int(logkey.Suppressed, len(resp.Suppressed)),
		slog.Int("added", resp.Added), slog.Int("updated", resp.Updated))
	writeJSON(w, http.StatusOK, resp)
}

// suppress drops from res the indicators the allowlist covers and returns
// them, each with the value as uploaded and the entry's reason.
func (h *Handler) suppress(res *feeds.Result) []Rejected {
	if h.allow == nil {
		return nil
	}
	var out []Rejected
	kept := res.Indicators[:0]
	for _, in := range res.Indicators {
		reason, ok := h.allow.Allows(in.Type, in.Value)
		if !ok {
			kept = append(kept, in)
			continue
		}
		r := Rejected{Value: cut(in.Value), Reason: "allowlist: " + reason}
		if len(in.Sources) > 0 {
			r.Position = in.Sources[0].ID
			if in.Sources[0].Original != "" {
				r.Value = cut(in.Sources[0].Original)
			}
		}
		out = append(out, r)
	}
	clear(res.Indicators[len(kept):])
	res.Indicators = kept
	return out
}

// formatOf returns the format a Content-Type names, or "" to sniff.
func formatOf(contentType string) (string, error) {
	if contentType == "" {
		return "", nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", errors.New("unreadable Content-Type")
	}
	switch mt {
	case "application/json":
		return JSON{}.Name(), nil
	case "text/csv", "application/csv":
		return list.CSV{}.Name(), nil
	case "text/plain", "application/octet-stream", "application/x-www-form-urlencoded":
		// Plain text may be a CSV with a header or a bare list; curl sends
		// form encoding by default for --data-binary.
		return "", nil
	}
	return "", errors.New("unsupported Content-Type " + strconv.Quote(mt) +
		": send application/json, text/csv or text/plain")
}

func (h *Handler) readFailed(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	var fe *schedule.FormatError
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge,
			"upload larger than "+strconv.FormatInt(mbe.Limit, 10)+" bytes")
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, "body is not valid "+fe.Want)
	case errors.Is(err, feeds.ErrUnknownFormat):
		writeError(w, http.StatusBadRequest,
			"body is neither JSON (an array of objects or one object), a CSV list nor a plain list")
	default:
		// Parse errors name a line and a reason and nothing of the server.
		writeError(w, http.StatusBadRequest, err.Error())
	}
}

func newUploadResponse(res *feeds.Result) UploadResponse {
	resp := UploadResponse{Feed: FeedName, Format: res.Format, Accepted: len(res.Indicators),
		Indicators: make([]Accepted, 0, len(res.Indicators)), Rejected: []Rejected{}}
	for _, in := range res.Indicators {
		a := Accepted{ID: in.ID}
		for _, s := range in.Sources {
			if s.Original != "" {
				a.Original = s.Original
				break
			}
		}
		resp.Indicators = append(resp.Indicators, a)
	}
	for _, rj := range res.Rejects {
		resp.Rejected = append(resp.Rejected, Rejected{Position: rj.Position,
			Value: cut(rj.Value), Reason: rj.Reason})
	}
	for _, ne := range res.NotEnforced {
		resp.NotEnforced = append(resp.NotEnforced, Rejected{Position: ne.Position,
			Value: cut(ne.Pattern), Reason: ne.Reason})
	}
	return resp
}

// cut shortens a value echoed back so that a hostile upload cannot make
// the response much larger than the rejects' count.
func cut(s string) string {
	if len(s) <= maxValueLen {
		return s
	}
	n := maxValueLen
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}

func countChanges(resp *UploadResponse, changes []feeds.Change) {
	for _, c := range changes {
		switch c.Op {
		case feeds.Added:
			resp.Added++
		case feeds.Updated:
			resp.Updated++
		}
	}
	resp.Unchanged = resp.Accepted - resp.Added - resp.Updated
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	in, ok := h.store.Get(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no indicator in force has this id")
		return
	}
	writeJSON(w, http.StatusOK, in)
}

// DeleteResponse is the answer to DELETE /api/v1/indicators/{id}.
type DeleteResponse struct {
	ID string `json:"id"`
	// Change is "removed" when no other feed lists the indicator, else
	// "updated": the other feeds' sources stay in force.
	Change string `json:"change"`
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	changes, missing, err := h.store.Remove(r.Context(), FeedName, []string{id})
	switch {
	case err != nil:
		h.log.Error("delete not put in force", logkey.Feed, FeedName, logkey.Err, err)
		writeError(w, http.StatusServiceUnavailable,
			"the deletion could not be put in force; retry")
		return
	case len(missing) > 0:
		writeError(w, http.StatusNotFound, "no uploaded indicator has this id")
		return
	}
	h.stats.Deleted.Add(1)
	resp := DeleteResponse{ID: id, Change: feeds.Removed.String()}
	if len(changes) == 1 {
		resp.Change = changes[0].Op.String()
	}
	writeJSON(w, http.StatusOK, resp)
}

// ListResponse is the answer to GET /api/v1/indicators: a page of the
// uploaded indicators in id order, as uploaded (the uploads source only).
type ListResponse struct {
	Indicators []*ioc.Indicator `json:"indicators"`
	// Next is the "after" parameter for the next page; empty on the last.
	Next string `json:"next,omitempty"`
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	limit := defaultPage
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			writeError(w, http.StatusBadRequest, "limit must be from 1 to "+strconv.Itoa(maxPage))
			return
		}
		limit = n
	}
	ids := h.store.FeedIDs(FeedName)
	i, _ := slices.BinarySearch(ids, r.URL.Query().Get("after"))
	if i < len(ids) && ids[i] == r.URL.Query().Get("after") {
		i++
	}
	resp := ListResponse{Indicators: []*ioc.Indicator{}}
	for ; i < len(ids) && len(resp.Indicators) < limit; i++ {
		if in, ok := h.store.FeedIndicator(FeedName, ids[i]); ok {
			resp.Indicators = append(resp.Indicators, in)
		}
	}
	if i < len(ids) && len(resp.Indicators) > 0 {
		resp.Next = resp.Indicators[len(resp.Indicators)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// The status line is sent; a client gone away is nothing to report.
	_ = enc.Encode(v)
}

package taxii

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iocflow/iocflow/internal/clip"
)

// Sentinels for the answers a caller branches on; an *HTTPError with the
// matching status is errors.Is each of them.
var (
	ErrUnauthorized  = errors.New("unauthorized")
	ErrForbidden     = errors.New("forbidden")
	ErrNotFound      = errors.New("not found")
	ErrNotAcceptable = errors.New("not acceptable")
)

// HTTPError is a TAXII request that the server answered with an error
// status. Title and the fields after it come from a TAXII error resource
// (TAXII 2.1 section 3.6.1) when the body is one; Body holds the start of
// any other body, as text.
type HTTPError struct {
	Method string
	// URL is the request URL without user information.
	URL         string
	Status      int
	Title       string
	Description string
	ErrorID     string
	ErrorCode   string
	Body        string
}

// Is reports whether target is the sentinel for e's status.
func (e *HTTPError) Is(target error) bool {
	switch e.Status {
	case http.StatusUnauthorized:
		return target == ErrUnauthorized
	case http.StatusForbidden:
		return target == ErrForbidden
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusNotAcceptable:
		return target == ErrNotAcceptable
	}
	return false
}

func (e *HTTPError) Error() string {
	var sb strings.Builder
	sb.WriteString(e.Method + " " + e.URL + ": " + strconv.Itoa(e.Status) + " " +
		http.StatusText(e.Status))
	if hint := statusHint(e.Status); hint != "" {
		sb.WriteString(" (" + hint + ")")
	}
	switch {
	case e.Title != "":
		sb.WriteString(": " + clip.Quote(e.Title))
		if e.Description != "" {
			sb.WriteString(": " + clip.Quote(e.Description))
		}
	case e.Body != "":
		sb.WriteString(": server said " + clip.Quote(e.Body))
	}
	return sb.String()
}

func statusHint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "credentials missing or wrong"
	case http.StatusForbidden:
		return "the account may not read this resource"
	case http.StatusNotFound:
		return "no such API root, collection or object"
	case http.StatusNotAcceptable:
		return "server does not speak TAXII 2.1 here"
	case http.StatusRequestEntityTooLarge:
		return "request too large for the API root"
	case http.StatusUnsupportedMediaType:
		return "content type refused"
	case http.StatusTooManyRequests:
		return "rate limited"
	}
	return ""
}

// taxiiError is the TAXII 2.1 error resource.
type taxiiError struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	ErrorID     string `json:"error_id"`
	ErrorCode   string `json:"error_code"`
}

// newHTTPError reads an error answer. The status decides the error; the
// body only adds detail, and is read as a TAXII error resource only when
// it is JSON with a title.
func newHTTPError(method, url string, status int, contentType string, body []byte) *HTTPError {
	e := &HTTPError{Method: method, URL: url, Status: status}
	var te taxiiError
	if isJSON(contentType) && json.Unmarshal(body, &te) == nil && te.Title != "" {
		e.Title, e.Description, e.ErrorID, e.ErrorCode = te.Title, te.Description,
			te.ErrorID, te.ErrorCode
		return e
	}
	e.Body = bodyText(body)
	return e
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// bodyText reduces a body (often HTML) to its first line of readable text.
func bodyText(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	var sb strings.Builder
	inTag := false
	for _, r := range strings.ToValidUTF8(string(b), string(utf8.RuneError)) {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
			sb.WriteByte(' ')
		case !inTag:
			sb.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(sb.String()), " ")
}

// Package taxii is a TAXII 2.1 client (OASIS TAXII 2.1, sections 4 and 5):
// server discovery, API roots, collections, and the objects endpoint with
// paging (limit, more, next) and added_after, the X-TAXII-Date-Added-*
// headers serving as the poll cursor. A Poller polls one collection into a
// stix.Store, keeps its cursor in a CursorStore and its objects in a state
// file, so that a restart asks only for what was added since and still
// knows every indicator in force.
//
// Requests carry the TAXII 2.1 media type, HTTP basic or bearer
// authentication and the TLS settings of the caller's http.Client. 429
// and 5xx answers and transport errors are retried with exponential backoff
// and jitter, honouring Retry-After, a bounded number of times. Other
// failures are *HTTPError values whose text says what went wrong even when
// the server answered with HTML; errors.Is matches them against
// ErrUnauthorized, ErrForbidden, ErrNotFound and ErrNotAcceptable.
//
// Credentials never appear in errors or logs. A Client is safe for
// concurrent use once configured; a Poller is used by one goroutine.
package taxii

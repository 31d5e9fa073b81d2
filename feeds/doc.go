// Package feeds turns indicator feeds into canonical indicators. It declares
// the Format interface that every feed parser implements (one subpackage per
// format: stix, stix1, et, etrep, abusech, spamhaus, misp, list), DirFormat
// for feeds that are whole folders (a MISP feed), the Builder through which
// a parser adds indicators and rejects records, and the loading of files and
// folders. Beside them: ioc (the shared value and indicator model),
// allowlist, taxii, store, schedule and upload. Which formats exist is decided by the caller, which passes an
// explicit list; nothing registers itself. change.go declares the change
// stream (Change, Publisher) and Set and Diff, which turn a refresh into the
// few indicators that changed.
//
// Loading is done off the hot path and keeps no state between calls; a
// Builder is used by one goroutine at a time.
package feeds

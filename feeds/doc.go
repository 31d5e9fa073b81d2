// Package feeds turns indicator feeds into canonical indicators. It declares
// the Format interface that every feed parser implements (one subpackage per
// format: feeds/stix, feeds/et, feeds/list), the Builder through which a
// parser adds indicators and rejects records, and the loading of files and
// folders. Which formats exist is decided by the caller, which passes an
// explicit list; nothing registers itself. change.go declares the change
// stream (Change, Publisher) and Set and Diff, which turn a refresh into the
// few indicators that changed.
//
// Loading is done off the hot path and keeps no state between calls; a
// Builder is used by one goroutine at a time.
package feeds

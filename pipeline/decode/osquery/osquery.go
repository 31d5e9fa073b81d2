// Package osquery decodes osquery result logs in the three formats the
// filesystem, Kafka and TLS loggers write: event (differential) rows with
// columns and action, snapshots with snapshot[] rows, and batches with
// diffResults{added,removed}. Each record is one event; a snapshot or
// batch gives the observables of all its rows, named by their path
// ("snapshot.path", "diffResults.added.remote_address"). Status-log lines
// that share the stream decode to an event of kind "status" with no
// observables.
//
// Columns are typed by name, as the tables that matter name them:
// processes (path, name, cmdline), process_open_sockets and socket_events
// (local_address, remote_address), listening_ports (address), dns_cache
// (name, when the query is a DNS cache query), browser history (url),
// and hash tables (md5, sha1, sha256). The decorations' hostname and
// username are the event's host and user.
//
// A Decoder is stateless and safe for concurrent use.
package osquery

import (
	"net/netip"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/decode/internal/obj"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "osquery"

// Decoder decodes osquery result and status log lines.
type Decoder struct{}

// Format implements decode.Decoder.
func (Decoder) Format() string { return FormatName }

// Decode implements decode.Decoder.
func (Decoder) Decode(data []byte, ev *event.Event) error {
	m, err := obj.Parse(FormatName, data)
	if err != nil {
		return err
	}
	ev.Format, ev.ID = FormatName, event.HashID(data)
	ev.Host = obj.FirstStr(m, "decorations.hostname", "hostIdentifier", "hostname")
	ev.User = obj.Str(m, "decorations.username")
	if err := obj.SetTime(m, FormatName, ev, "unixTime", "calendarTime"); err != nil {
		return err
	}
	name := obj.Str(m, "name")
	dns := strings.Contains(name, "dns_cache")
	switch {
	case obj.Has(m, "columns"):
		ev.Kind = name + "/" + obj.Str(m, "action")
		row(ev, obj.Get(m, "columns"), "columns.", dns)
		if strings.Contains(name, "logged_in_users") && obj.Str(m, "action") != "removed" {
			bindLogin(ev, obj.Get(m, "columns"))
		}
	case obj.Has(m, "snapshot"):
		ev.Kind = name + "/snapshot"
		for _, r := range obj.List(m, "snapshot") {
			row(ev, r, "snapshot.", dns)
		}
	case obj.Has(m, "diffResults"):
		ev.Kind = name + "/batch"
		for _, r := range obj.List(m, "diffResults.added") {
			row(ev, r, "diffResults.added.", dns)
		}
		for _, r := range obj.List(m, "diffResults.removed") {
			row(ev, r, "diffResults.removed.", dns)
		}
	case obj.Has(m, "severity") && obj.Has(m, "message"):
		ev.Kind = "status"
	default:
		return decode.NewError(FormatName, decode.NoOffset,
			"neither a result (columns, snapshot, diffResults) nor a status line")
	}
	if name == "" && ev.Kind != "status" {
		return decode.NewError(FormatName, decode.NoOffset, "result without a query name")
	}
	return nil
}

// columnTypes types the columns that hold indicators.
var columnTypes = map[string]ioc.Type{
	"local_address": ioc.IPv4, "remote_address": ioc.IPv4, "address": ioc.IPv4,
	"path": ioc.FilePath, "cmdline": ioc.Text, "url": ioc.URL,
	"md5": ioc.MD5, "sha1": ioc.SHA1, "sha256": ioc.SHA256,
}

// row adds the observables of one result row.
func row(ev *event.Event, r any, prefix string, dns bool) {
	cols, ok := r.(obj.Map)
	if !ok {
		return
	}
	for _, k := range sortedKeys(cols) {
		v := obj.Text(cols[k])
		field := prefix + k
		if k == "name" {
			switch {
			case dns:
				extract.Add(ev, ioc.Domain, v, field)
			case obj.Has(cols, "pid") || obj.Has(cols, "cmdline"):
				extract.Add(ev, ioc.ProcessName, v, field)
			}
			continue
		}
		t, ok := columnTypes[k]
		switch {
		case !ok:
		case t.IsIP():
			extract.AddIP(ev, v, field)
		default:
			extract.Add(ev, t, v, field)
		}
	}
}

// bindLogin records who logged in from where: a logged_in_users row of a
// user session whose host column is an address binds that address to the
// user, for enrichment to learn. The row's machine is where the session
// landed, not the address's host, so no host is bound.
func bindLogin(ev *event.Event, r any) {
	cols, ok := r.(obj.Map)
	if !ok || obj.Text(cols["type"]) != "user" {
		return
	}
	a, err := netip.ParseAddr(obj.Text(cols["host"]))
	user := obj.Text(cols["user"])
	if err != nil || user == "" {
		return
	}
	ev.Binding = event.Binding{IP: a.Unmap(), User: user}
}

func sortedKeys(m obj.Map) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Insertion sort: rows have a few dozen columns at most.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

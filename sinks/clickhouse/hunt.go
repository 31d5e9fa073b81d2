package clickhouse

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// maxQueryBytes keeps a hunt query's text under ClickHouse's default
// max_query_size (256 KiB) with room for the fixed part.
const maxQueryBytes = 192 << 10

// Sightings calls fn, in order of event id, for every distinct sighting
// stored for events in [from, to) whose observable may match one of inds:
// the query narrows by type and value (exact values through the primary
// key, parent domains by label suffix, CIDR blocks by address range, text
// patterns by substring ignoring case), and the caller confirms each with
// the matcher. The sightings of one event come one after the other within
// one call of fn's sequence for a query; inds are split over several
// queries when their text would be too long, so an event can come again
// for other indicators. fn must not keep s.
func (s *Store) Sightings(ctx context.Context, from, to time.Time, inds []*ioc.Indicator,
	fn func(sg *Sighting) error) error {
	for len(inds) > 0 {
		var p predicate
		n := 0
		for n < len(inds) && p.size() < maxQueryBytes {
			p.add(inds[n])
			n++
		}
		inds = inds[n:]
		where := p.sql()
		if where == "" {
			continue
		}
		q := "SELECT DISTINCT event_id, type, value, field, event_time, department, user, host," +
			" format FROM " + s.table("observables") +
			" WHERE event_time >= toDateTime(" + unix(from) + ")" +
			" AND event_time < toDateTime(" + unix(to) + ") AND (" + where + ")" +
			" ORDER BY event_id, type, value, field"
		if err := s.scanSightings(ctx, q, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) scanSightings(ctx context.Context, q string, fn func(*Sighting) error) error {
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("query observables: %w", err)
	}
	defer rows.Close()
	var sg Sighting
	for rows.Next() {
		err := rows.Scan(&sg.EventID, &sg.Type, &sg.Value, &sg.Field, &sg.EventTime,
			&sg.Department, &sg.User, &sg.Host, &sg.Format)
		if err != nil {
			return fmt.Errorf("read observables: %w", err)
		}
		if err := fn(&sg); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read observables: %w", err)
	}
	return nil
}

// KnownVerdicts calls fn for every (event id, indicator id) already in the
// verdicts table among the given events, so that a hunt does not repeat a
// verdict the live pipeline or an earlier hunt made.
func (s *Store) KnownVerdicts(ctx context.Context, eventIDs []string,
	fn func(eventID, indicatorID string)) error {
	for len(eventIDs) > 0 {
		var b strings.Builder
		n := 0
		for n < len(eventIDs) && b.Len() < maxQueryBytes {
			if n > 0 {
				b.WriteString(", ")
			}
			quoteString(&b, eventIDs[n])
			n++
		}
		eventIDs = eventIDs[n:]
		q := "SELECT DISTINCT event_id, indicator_id FROM " + s.table("verdicts") +
			" WHERE event_id IN (" + b.String() + ")"
		if err := s.scanPairs(ctx, q, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) scanPairs(ctx context.Context, q string, fn func(a, b string)) error {
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("query verdicts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return fmt.Errorf("read verdicts: %w", err)
		}
		fn(a, b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read verdicts: %w", err)
	}
	return nil
}

// predicate collects indicators into the WHERE clause of a sightings
// query, per kind of test.
type predicate struct {
	exact   strings.Builder // ('type', 'value') tuples
	domains strings.Builder // names whose subdomains match too
	ip4     []string        // BETWEEN tests of IPv4 blocks
	ip6     []string        // BETWEEN tests of IPv6 blocks
	text    []string        // substring patterns
	n       int
}

func (p *predicate) size() int {
	n := p.exact.Len() + p.domains.Len()
	for _, l := range [][]string{p.ip4, p.ip6, p.text} {
		for _, s := range l {
			n += len(s) + 4
		}
	}
	return n
}

func (p *predicate) add(in *ioc.Indicator) {
	switch in.Type {
	case ioc.Domain:
		appendList(&p.domains, in.Value)
	case ioc.IPv4, ioc.IPv6:
		p.addIP(in)
	case ioc.Text:
		var b strings.Builder
		quoteString(&b, in.Value)
		p.text = append(p.text, "positionCaseInsensitive(value, "+b.String()+") > 0")
	default:
		p.addExact(in.Type.String(), in.Value)
	}
	p.n++
}

func (p *predicate) addExact(typ, value string) {
	if p.exact.Len() > 0 {
		p.exact.WriteString(", ")
	}
	p.exact.WriteByte('(')
	quoteString(&p.exact, typ)
	p.exact.WriteString(", ")
	quoteString(&p.exact, value)
	p.exact.WriteByte(')')
}

// addIP adds an address as an exact value and a block as a range; both
// also match URLs whose host is in them.
func (p *predicate) addIP(in *ioc.Indicator) {
	pfx, err := ioc.ParsePrefix(in.Value)
	if err != nil {
		return
	}
	pfx = pfx.Masked()
	if pfx.IsSingleIP() {
		a := pfx.Addr().Unmap()
		p.addExact(ioc.AddrType(a).String(), a.String())
		appendList(&p.domains, a.String())
		return
	}
	lo, hi := pfx.Addr(), lastAddr(pfx)
	if lo.Is4() {
		p.ip4 = append(p.ip4, fmt.Sprintf("BETWEEN %d AND %d", ip4Num(lo), ip4Num(hi)))
		return
	}
	p.ip6 = append(p.ip6, fmt.Sprintf("BETWEEN '%X' AND '%X'", lo.AsSlice(), hi.AsSlice()))
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func ip4Num(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func appendList(b *strings.Builder, v string) {
	if b.Len() > 0 {
		b.WriteString(", ")
	}
	quoteString(b, v)
}

// suffixesOf is the SQL array of a name and each of its parents on label
// boundaries.
func suffixesOf(expr string) string {
	return "arrayMap(i -> arrayStringConcat(arraySlice(splitByChar('.', " + expr +
		"), i), '.'), arrayEnumerate(splitByChar('.', " + expr + ")))"
}

// urlHost is the SQL host of a URL observable; domain() gives it for
// names and IPv4 addresses. urlHost6 is a bracketed IPv6 host without its
// brackets, "" when the host is not one.
const (
	urlHost  = "domain(value)"
	urlHost6 = "extract(value, '^[A-Za-z][A-Za-z0-9+.-]*://\\\\[([0-9A-Fa-f:.]+)\\\\]')"
)

// sql returns the WHERE clause, or "" when nothing was added.
func (p *predicate) sql() string {
	var or []string
	if p.exact.Len() > 0 {
		or = append(or, "(type, value) IN ("+p.exact.String()+")")
	}
	if p.domains.Len() > 0 {
		set := "(" + p.domains.String() + ")"
		or = append(or,
			"(type = 'domain' AND arrayExists(x -> x IN "+set+", "+suffixesOf("value")+"))",
			"(type = 'url' AND (arrayExists(x -> x IN "+set+", "+suffixesOf(urlHost)+")"+
				" OR "+urlHost6+" IN "+set+"))")
	}
	if len(p.ip4) > 0 {
		or = append(or, rangeTest("type = 'ipv4'", "IPv4StringToNum(value)", p.ip4),
			rangeTest("type = 'url'", "IPv4StringToNum("+urlHost+")", p.ip4))
	}
	if len(p.ip6) > 0 {
		or = append(or, rangeTest("type = 'ipv6'", "hex(IPv6StringToNum(value))", p.ip6),
			rangeTest("type = 'url' AND "+urlHost6+" != ''",
				"hex(IPv6StringToNum("+urlHost6+"))", p.ip6))
	}
	if len(p.text) > 0 {
		or = append(or, "(type = 'text' AND ("+strings.Join(p.text, " OR ")+"))")
	}
	return strings.Join(or, " OR ")
}

func rangeTest(typ, expr string, ranges []string) string {
	tests := make([]string, len(ranges))
	for i, r := range ranges {
		tests[i] = expr + " " + r
	}
	return "(" + typ + " AND (" + strings.Join(tests, " OR ") + "))"
}

func unix(t time.Time) string { return strconv.FormatInt(clampTime(t).Unix(), 10) }

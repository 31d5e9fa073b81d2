package extract

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads an ISO 8601 / RFC 3339 style timestamp from bytes
// without allocating: "YYYY-MM-DD", a 'T' or a space, "HH:MM:SS", an
// optional fraction of 1 to 9 digits, and an optional zone: "Z", "+HH:MM",
// "+HHMM", "+HH" or " UTC". Without a zone the time is taken as UTC. The
// result is in UTC. Hot path.
func ParseTime(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') ||
		b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	d, ok3 := num(b[8:10])
	h, ok4 := num(b[11:13])
	mi, ok5 := num(b[14:16])
	s, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 ||
		h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	rest, ns := b[19:], 0
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		i := 1
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if i <= 9 {
				ns = ns*10 + int(rest[i]-'0')
			}
		}
		if i == 1 || i > 10 {
			return time.Time{}, false
		}
		for k := i; k <= 9; k++ {
			ns *= 10
		}
		rest = rest[i:]
	}
	off, ok := zoneOffset(rest)
	if !ok {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 31 April and the like
	}
	return t.Add(-time.Duration(off) * time.Second), true
}

// zoneOffset reads the zone suffix of a timestamp as seconds east of UTC.
func zoneOffset(z []byte) (int, bool) {
	switch string(z) {
	case "", "Z", "z", " UTC", " GMT", "UTC", " Z":
		return 0, true
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, false
	}
	var h, m int
	var ok1, ok2 bool
	switch len(z) {
	case 3:
		h, ok1 = num(z[1:3])
		ok2 = true
	case 5:
		h, ok1 = num(z[1:3])
		m, ok2 = num(z[3:5])
	case 6:
		h, ok1 = num(z[1:3])
		m, ok2 = num(z[4:6])
		ok2 = ok2 && z[3] == ':'
	}
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// ErrTime is the error of Time for a value in no known layout.
var ErrTime = errors.New("time in no known layout")

// otherLayouts are the non-ISO layouts of the supported sources: osquery
// calendarTime, CEF rt and LEEF devTime, PAN-OS ReceiveTime, FireEye
// occurred.
var otherLayouts = []string{
	"Mon Jan _2 15:04:05 2006 MST",
	"Mon Jan _2 15:04:05 2006",
	"Jan _2 2006 15:04:05 MST",
	"Jan _2 2006 15:04:05",
	"Jan _2 2006 15:04:05.000",
	"2006/01/02 15:04:05",
	"2006-01-02 15:04:05 -0700",
	"02/Jan/2006:15:04:05 -0700",
	"2006-01-02",
}

// Time reads a timestamp in any layout the supported sources write: the
// ISO forms of ParseTime, Unix seconds or milliseconds (integer or
// fractional, as a number or a string), and the layouts in otherLayouts.
// Times without a zone are UTC. It allocates; decoders on the hot path use
// ParseTime.
func Time(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, ok := ParseTime([]byte(s)); ok {
		return t, nil
	}
	if t, ok := epoch(s); ok {
		return t, nil
	}
	for _, l := range otherLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, ErrTime
}

// epoch reads Unix seconds, or milliseconds when the value is too large to
// be seconds (1e11 s is in the year 5138).
func epoch(s string) (time.Time, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e14 || s == "" || s[0] < '0' || s[0] > '9' {
		return time.Time{}, false
	}
	if f > 1e11 {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return time.UnixMilli(ms).UTC(), true
		}
		f /= 1000
	}
	sec := int64(f)
	ns := int64((f - float64(sec)) * 1e9)
	if i := strings.IndexByte(s, '.'); i >= 0 && f <= 1e11 {
		ns = fracNanos(s[i+1:])
	}
	return time.Unix(sec, ns).UTC(), true
}

func fracNanos(f string) int64 {
	var ns int64
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(f) && f[i] >= '0' && f[i] <= '9' {
			ns += int64(f[i] - '0')
		}
	}
	return ns
}

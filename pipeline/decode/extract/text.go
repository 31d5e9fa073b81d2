package extract

import (
	"net/netip"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/event"
)

// Text adds s as a free-text observable of field and then adds, under the
// same field, the indicators written inside it:
//
//   - URLs with the scheme http, https, ftp, ftps, ws or wss, up to the
//     first space, quote, angle bracket, backslash or '|', with closing
//     punctuation (".,;:!?)]}") dropped;
//   - e-mail addresses whose domain passes the domain rule below;
//   - IPv4 addresses in dotted-quad form, bounded by characters that are
//     neither digits nor dots (so "10.0.17763.475" and "1.2.3.4.5" are not
//     addresses); IPv6 is not extracted from text, as "::" notation
//     collides with code ("sekurlsa::logonpasswords");
//   - MD5, SHA-1, SHA-256 and SHA-512 digests: runs of exactly 32, 40, 64
//     or 128 hex digits bounded by non-alphanumerics;
//   - domain names: two or more labels whose last label is a known TLD
//     (see knownTLD; the RFC 2606 names "example" and "test" count). A
//     name of two labels whose TLD is also a common file
//     extension ("setup.py", "run.sh", "notes.zip", "README.md") is not
//     taken, nor is a name that follows a single '\' or '/' (a file in a
//     path: "C:\tools\evil.com"); a name after "\\" (a UNC host) is.
//
// Values inside a URL are not extracted again: the matcher checks a URL's
// host itself. Nothing is refanged ("hxxp" stays text). Text allocates.
func Text(ev *event.Event, s, field string) {
	if err := ev.Add(ioc.Text, s, field); err != nil || strings.TrimSpace(s) == "" {
		return
	}
	covered := extractURLs(ev, s, field)
	i := 0
	for i < len(s) {
		if !isTokenByte(s[i]) || inRanges(covered, i) {
			i++
			continue
		}
		j := i
		for j < len(s) && isTokenByte(s[j]) {
			j++
		}
		token(ev, s, i, j, field)
		i = j
	}
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == '_' || c == '@' || c == '+'
}

func inRanges(rs [][2]int, i int) bool {
	for _, r := range rs {
		if i >= r[0] && i < r[1] {
			return true
		}
	}
	return false
}

var textSchemes = []string{"http", "https", "ftp", "ftps", "ws", "wss"}

// extractURLs adds the URLs in s and returns the byte ranges they cover.
func extractURLs(ev *event.Event, s, field string) [][2]int {
	var covered [][2]int
	from := 0
	for {
		k := strings.Index(s[from:], "://")
		if k < 0 {
			return covered
		}
		k += from
		from = k + 3
		start := k
		for start > 0 && isAlpha(s[start-1]) {
			start--
		}
		scheme := strings.ToLower(s[start:k])
		if !isTextScheme(scheme) {
			continue
		}
		end := from
		for end < len(s) && !isURLStop(s[end]) {
			end++
		}
		u := strings.TrimRight(s[start:end], ".,;:!?)]}'")
		if len(u) <= k-start+3 {
			continue
		}
		if err := ev.Add(ioc.URL, u, field); err == nil {
			covered = append(covered, [2]int{start, end})
		}
		from = end
	}
}

func isTextScheme(s string) bool {
	for _, x := range textSchemes {
		if s == x {
			return true
		}
	}
	return false
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isURLStop(c byte) bool {
	switch c {
	case '"', '\'', '<', '>', '`', '\\', '|', '^', '{', '}':
		return true
	}
	return c <= ' ' || c == 0x7f
}

// token classifies the run s[i:j] of token bytes and adds what it is.
func token(ev *event.Event, s string, i, j int, field string) {
	t := strings.TrimRight(s[i:j], ".-_+@")
	t = strings.TrimLeft(t, ".-_+@")
	if t == "" {
		return
	}
	if at := strings.LastIndexByte(t, '@'); at > 0 {
		if isDomainText(t[at+1:], false) && !strings.ContainsAny(t[at+1:], "@+") {
			_ = ev.Add(ioc.Email, t, field)
		}
		return
	}
	if ht := ioc.HashType(len(t)); ht != ioc.TypeInvalid && isHexText(t) {
		_ = ev.Add(ht, t, field)
		return
	}
	if isDottedQuad(t) {
		if a, err := netip.ParseAddr(t); err == nil && a.Is4() {
			ev.AddCanonical(ioc.IPv4, a.String(), field)
		}
		return
	}
	prev := byte(0)
	if i > 0 {
		prev = s[i-1]
	}
	if prev == '/' || prev == '\\' && !(i >= 2 && s[i-2] == '\\') {
		return // a file in a path, not a host
	}
	if isDomainText(t, true) {
		_ = ev.Add(ioc.Domain, t, field)
	}
}

func isHexText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(s[i] >= '0' && s[i] <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isDottedQuad(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.':
			dots++
		case s[i] < '0' || s[i] > '9':
			return false
		}
	}
	return dots == 3
}

// isDomainText applies the extraction rule for names found in text: at
// least two labels of letters, digits, '-' and '_'; with bare set (a name
// standing alone, not after '@'), also a known TLD and no two-label name
// whose TLD is a common file extension.
func isDomainText(s string, bare bool) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for k := 0; k < len(l); k++ {
			c := l[k]
			if !(isAlpha(c) || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if !bare {
		return true
	}
	return knownTLD(tld) && !(len(labels) == 2 && extensionTLD[tld])
}

// knownTLD reports whether tld is a two-letter country code (any two
// letters) or one of the generic TLDs common in indicator feeds. Names
// under other generic TLDs are not extracted from text; that trades a
// missed extraction for no "file.exe"-style false domains.
func knownTLD(tld string) bool {
	if len(tld) == 2 {
		return isAlpha(tld[0]) && isAlpha(tld[1])
	}
	return genericTLD[tld]
}

var genericTLD = setOf("com net org edu gov mil int info biz name pro mobi asia tel travel " +
	"jobs cat aero coop museum arpa io xyz top online site club shop app dev page cloud " +
	"tech store live life world today space website link click win bid icu vip work fun " +
	"host press news email digital network services support solutions systems agency " +
	"company global group zone one blog art design ovh best cyou rest buzz monster sbs cfd " +
	"lol mom bar loan date download review stream trade racing science party men " +
	"accountant faq gdn kim cricket webcam onion zip mov example test")

// extensionTLD lists TLDs that are also common file extensions; a
// two-label name ending in one is read as a file name.
var extensionTLD = setOf("zip mov app py sh md rs pl pm cc so ps mk in ac am ml ai js " +
	"ts sc cs do gz bz tf test")

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

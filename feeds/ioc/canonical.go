package ioc

import (
	"errors"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ValueError says why a value is not a valid value of its type.
type ValueError struct {
	Type   Type
	Value  string
	Reason string
}

func (e *ValueError) Error() string {
	if !e.Type.IsValid() {
		return "invalid value " + quote(e.Value) + ": " + e.Reason
	}
	return "invalid " + e.Type.String() + " " + quote(e.Value) + ": " + e.Reason
}

func invalid(t Type, v, reason string) error {
	return &ValueError{Type: t, Value: v, Reason: reason}
}

// Canonical returns the canonical form of raw read as a value of type t. It is
// the one place where both the feed side and the event side decide what a
// value looks like, so that equal things compare equal:
//
//   - ipv4, ipv6: the address as netip prints it, IPv4-mapped IPv6 unmapped
//     (and then typed ipv4), zone dropped; see also ParsePrefix;
//   - domain: lower case, trailing dot dropped, internationalised labels in
//     punycode (IDNA 2008 lookup rules, underscores allowed);
//   - url: see CanonicalURL;
//   - email: the domain part canonical as a domain, the local part as given;
//   - md5, sha1, sha256, sha512: lower-case hex of exactly the right length;
//   - file_name, file_path, process_name: lower case, since Windows, where
//     almost all such telemetry comes from, compares them without case;
//     Windows paths use '\';
//   - registry_key: lower case with the hive spelled out (HKLM becomes
//     hkey_local_machine), as Windows compares keys without case;
//   - mutex, user_agent: as given (trimmed): mutex names are case-sensitive
//     objects and user agents are compared exactly;
//   - text: lower case; substring patterns match without ASCII case. Text
//     observables are not lowered (see CanonicalObservable).
//
// Canonical does not repair defanged values; feeds call Refang first. When
// raw is already canonical the result shares its memory and nothing is
// allocated.
func Canonical(t Type, raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalid(t, raw, "empty value")
	}
	switch t {
	case IPv4, IPv6:
		a, err := ParseAddr(s)
		if err != nil {
			return "", err
		}
		if AddrType(a) != t {
			return "", invalid(t, raw, "address is "+AddrType(a).String())
		}
		return a.String(), nil
	case Domain:
		return CanonicalDomain(s)
	case URL:
		return CanonicalURL(s)
	case Email:
		return CanonicalEmail(s)
	case MD5, SHA1, SHA256, SHA512:
		return canonicalHash(t, s)
	case FileName, ProcessName, Text:
		return lowerASCII(s), nil
	case FilePath:
		return canonicalPath(s), nil
	case RegistryKey:
		return canonicalRegistryKey(s), nil
	case Mutex, UserAgent:
		return s, nil
	}
	return "", invalid(t, raw, "unknown type")
}

// CanonicalObservable is Canonical for values found in events. It differs
// only for free text, which is kept as given (trimmed): the matcher folds
// ASCII case while it scans, so lowering a long command line first would
// cost a copy per event for nothing.
func CanonicalObservable(t Type, raw string) (string, error) {
	if t == Text {
		s := strings.TrimSpace(raw)
		if s == "" {
			return "", invalid(t, raw, "empty value")
		}
		return s, nil
	}
	return Canonical(t, raw)
}

// AddrType returns IPv4 for an IPv4 address (after unmapping) and IPv6
// otherwise.
func AddrType(a netip.Addr) Type {
	if a.Unmap().Is4() {
		return IPv4
	}
	return IPv6
}

// ParseAddr parses an IP address into its canonical netip form: IPv4-mapped
// IPv6 unmapped, zone dropped. It allocates nothing.
func ParseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, invalid(IPv4, s, addrProblem(s))
	}
	return a.Unmap().WithZone(""), nil
}

// addrProblem says why s, which netip refused, is not an address, naming
// the common mistakes in dotted quads.
func addrProblem(s string) string {
	octets := strings.Split(s, ".")
	if len(octets) != 4 || strings.ContainsRune(s, ':') {
		return "not an IP address"
	}
	for _, o := range octets {
		switch {
		case o == "" || !isNumericLabel(o):
			return "not an IP address"
		case len(o) > 1 && o[0] == '0':
			return "octet " + quote(o) + " has a leading zero, which some parsers read as octal"
		case len(o) > 3 || o > "255" && len(o) == 3:
			return "octet " + quote(o) + " is above 255"
		}
	}
	return "not an IP address"
}

// ParsePrefix parses an address or a CIDR block into its canonical prefix:
// host bits masked, IPv4-mapped IPv6 prefixes of length 96 or more turned into
// the IPv4 prefix they cover, a bare address as a full-length prefix. A prefix
// length out of range is an error; host bits set below the mask are not,
// since feeds write "10.0.0.1/8" meaning the network.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, invalid(IPv4, s, "not a CIDR block")
	}
	a := p.Addr().WithZone("")
	if a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked(), nil
	}
	return netip.PrefixFrom(a, p.Bits()).Masked(), nil
}

// FormatPrefix writes a canonical prefix the way indicators show it: a bare
// address for a single host, CIDR notation otherwise.
func FormatPrefix(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

var lookupProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(false), // underscores occur in SRV and DGA names
	idna.BidiRule(),
)

// CanonicalDomain returns the canonical form of a domain name: lower case,
// without the trailing dot, with internationalised labels in punycode. It
// rejects empty labels, labels over 63 bytes, names over 253 bytes and
// characters that no host name holds. An IP address is not a domain.
func CanonicalDomain(s string) (string, error) {
	raw := s
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", invalid(Domain, raw, "empty name")
	}
	if !isASCII(s) {
		a, err := lookupProfile.ToASCII(s)
		if err != nil {
			return "", invalid(Domain, raw, "not a valid internationalised name")
		}
		s = a
	}
	s = lowerASCII(s)
	if err := checkHostname(s); err != "" {
		return "", invalid(Domain, raw, err)
	}
	if isNumericLabel(s[strings.LastIndexByte(s, '.')+1:]) {
		// RFC 3696 section 2: a top-level label is never all digits, so
		// this is an address (or a broken one), not a name.
		return "", invalid(Domain, raw, "all-numeric top-level label; an IP address is not a domain")
	}
	return s, nil
}

func isNumericLabel(l string) bool {
	for i := 0; i < len(l); i++ {
		if l[i] < '0' || l[i] > '9' {
			return false
		}
	}
	return l != ""
}

func checkHostname(s string) string {
	if len(s) > 253 {
		return "longer than 253 bytes"
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 {
				return "empty label"
			}
			label = 0
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return "character " + quote(string(c)) + " not allowed"
		}
		label++
		if label > 63 {
			return "label longer than 63 bytes"
		}
	}
	if label == 0 {
		return "empty label"
	}
	return ""
}

// CanonicalEmail returns an address with its domain canonical. A display
// name form ("Name <a@b.example>") is reduced to the address. The local part
// is kept as written: RFC 5321 leaves its case to the receiving system.
func CanonicalEmail(s string) (string, error) {
	raw := s
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		s = s[i+1 : len(s)-1]
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", invalid(Email, raw, "no local part and domain around '@'")
	}
	local := s[:at]
	if strings.ContainsAny(local, " \t<>") {
		return "", invalid(Email, raw, "space or angle bracket in local part")
	}
	dom, err := CanonicalDomain(s[at+1:])
	if err != nil {
		return "", invalid(Email, raw, "domain: "+err.(*ValueError).Reason)
	}
	if dom == s[at+1:] {
		return s, nil
	}
	return local + "@" + dom, nil
}

func canonicalHash(t Type, s string) (string, error) {
	if len(s) != 2*t.HashLen() {
		return "", invalid(t, s, "want "+itoa(2*t.HashLen())+" hex digits, have "+itoa(len(s)))
	}
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) > 15 {
			return "", invalid(t, s, "not hexadecimal")
		}
	}
	return lowerASCII(s), nil
}

// HashType returns the hash type whose hex length is n, or TypeInvalid.
func HashType(n int) Type {
	switch n {
	case 32:
		return MD5
	case 40:
		return SHA1
	case 64:
		return SHA256
	case 128:
		return SHA512
	}
	return TypeInvalid
}

func canonicalPath(s string) string {
	if strings.IndexByte(s, '\\') >= 0 || hasDriveLetter(s) {
		s = strings.ReplaceAll(s, "/", `\`)
	}
	return lowerASCII(s)
}

func hasDriveLetter(s string) bool {
	return len(s) >= 2 && s[1] == ':' && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z')
}

// hives maps the short and kernel spellings of registry roots to the full
// names, lower case, each with its trailing separator.
var hives = []struct{ from, to string }{
	{`hklm\`, `hkey_local_machine\`},
	{`hkcu\`, `hkey_current_user\`},
	{`hku\`, `hkey_users\`},
	{`hkcr\`, `hkey_classes_root\`},
	{`hkcc\`, `hkey_current_config\`},
	{`\registry\machine\`, `hkey_local_machine\`},
	{`\registry\user\`, `hkey_users\`},
}

func canonicalRegistryKey(s string) string {
	s = strings.ReplaceAll(lowerASCII(s), "/", `\`)
	for _, h := range hives {
		if strings.HasPrefix(s, h.from) {
			return h.to + s[len(h.from):]
		}
	}
	return s
}

// lowerASCII lowers ASCII letters and leaves other bytes alone. It returns s
// itself, allocating nothing, when s has no upper-case ASCII letter.
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

// ErrNoType is returned by Detect when a value looks like no known type.
var ErrNoType = errors.New("value has no recognisable type")

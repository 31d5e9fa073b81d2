package ioc

import "strings"

// Type is the kind of an observable or of an indicator value. The zero value
// is TypeInvalid. Types are small integers so that the matcher can index
// per-type tables with them.
type Type uint8

// The observable and indicator types. Text is free text (command lines, mail
// subjects): an observable of type Text is scanned for substring patterns,
// and an indicator of type Text is such a pattern.
const (
	TypeInvalid Type = iota
	IPv4
	IPv6
	Domain
	URL
	Email
	MD5
	SHA1
	SHA256
	SHA512
	FileName
	FilePath
	RegistryKey
	Mutex
	ProcessName
	UserAgent
	Text
	numTypes
)

// NumTypes is one more than the largest valid Type, for sizing tables indexed
// by Type.
const NumTypes = int(numTypes)

var typeNames = [numTypes]string{
	TypeInvalid: "invalid",
	IPv4:        "ipv4",
	IPv6:        "ipv6",
	Domain:      "domain",
	URL:         "url",
	Email:       "email",
	MD5:         "md5",
	SHA1:        "sha1",
	SHA256:      "sha256",
	SHA512:      "sha512",
	FileName:    "file_name",
	FilePath:    "file_path",
	RegistryKey: "registry_key",
	Mutex:       "mutex",
	ProcessName: "process_name",
	UserAgent:   "user_agent",
	Text:        "text",
}

// typeAliases maps the spellings seen in feeds and configs to a Type. Keys
// are lower case with '-' and ' ' folded to '_'.
var typeAliases = map[string]Type{
	"ip":   TypeInvalid, // ambiguous on purpose: resolved by the value
	"ipv4": IPv4, "ipv4_addr": IPv4, "ip_src": IPv4, "ip_dst": IPv4,
	"ipv6": IPv6, "ipv6_addr": IPv6,
	"domain": Domain, "domain_name": Domain, "hostname": Domain, "fqdn": Domain,
	"url": URL, "uri": URL,
	"email": Email, "email_addr": Email, "email_address": Email,
	"md5": MD5, "md5_hash": MD5,
	"sha1": SHA1, "sha_1": SHA1, "sha1_hash": SHA1,
	"sha256": SHA256, "sha_256": SHA256, "sha256_hash": SHA256,
	"sha512": SHA512, "sha_512": SHA512, "sha512_hash": SHA512,
	"file_name": FileName, "filename": FileName,
	"file_path": FilePath, "filepath": FilePath, "path": FilePath,
	"registry_key": RegistryKey, "regkey": RegistryKey,
	"windows_registry_key": RegistryKey, "win_registry_key": RegistryKey,
	"mutex": Mutex, "mutant": Mutex,
	"process_name": ProcessName, "process": ProcessName,
	"user_agent": UserAgent, "useragent": UserAgent,
	"text": Text, "substring": Text, "pattern": Text,
}

// String returns the type's name as written in verdicts and configs.
func (t Type) String() string {
	if t >= numTypes {
		return "invalid"
	}
	return typeNames[t]
}

// IsValid reports whether t is one of the defined types.
func (t Type) IsValid() bool { return t > TypeInvalid && t < numTypes }

// IsIP reports whether t is IPv4 or IPv6.
func (t Type) IsIP() bool { return t == IPv4 || t == IPv6 }

// IsHash reports whether t is one of the hash types.
func (t Type) IsHash() bool { return t >= MD5 && t <= SHA512 }

// HashLen returns the length in bytes of a hash type's binary value, or 0 for
// a type that is not a hash.
func (t Type) HashLen() int {
	switch t {
	case MD5:
		return 16
	case SHA1:
		return 20
	case SHA256:
		return 32
	case SHA512:
		return 64
	}
	return 0
}

// ParseType returns the Type named by s. It accepts the canonical names and
// the common spellings of STIX, MISP and list feeds ("domain-name",
// "SHA-256", "filename"). The generic "ip" returns ok with TypeInvalid: the
// caller decides between IPv4 and IPv6 from the value.
func ParseType(s string) (t Type, ok bool) {
	key := strings.ToLower(strings.TrimSpace(s))
	key = strings.NewReplacer("-", "_", " ", "_").Replace(key)
	t, ok = typeAliases[key]
	return t, ok
}

// MarshalText implements encoding.TextMarshaler.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Type) UnmarshalText(b []byte) error {
	v, ok := ParseType(string(b))
	if !ok || !v.IsValid() {
		return &TypeError{Name: string(b)}
	}
	*t = v
	return nil
}

// TypeError reports an unknown observable or indicator type name.
type TypeError struct{ Name string }

func (e *TypeError) Error() string { return "unknown type " + quote(e.Name) }

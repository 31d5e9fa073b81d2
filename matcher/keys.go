package matcher

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net/netip"
)

// hasher turns keys into the 64-bit hashes the tables are sharded and
// probed by. Its seed is drawn when a snapshot is built and kept by every
// snapshot derived from it with Apply, which shares its tables; outside
// input therefore cannot aim many keys at one shard.
type hasher struct {
	seed maphash.Seed
	mix  uint64
}

func newHasher() hasher {
	seed := maphash.MakeSeed()
	return hasher{seed: seed, mix: maphash.String(seed, "iocflow") | 1}
}

// str hashes a string key. Hot path.
func (h *hasher) str(s string) uint64 { return maphash.String(h.seed, s) }

// word mixes a 64-bit word with the seed (a murmur3-style finaliser).
// Hot path.
func (h *hasher) word(x uint64) uint64 {
	x ^= h.mix
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// word8 hashes the first 8 bytes of b: enough for a digest, which is
// uniform already (the mixing keeps the shard out of an attacker's
// choice), and all a lookup decodes from the hex text before it knows
// whether the slot table has a candidate.
func (h *hasher) word8(b []byte) uint64 { return h.word(binary.LittleEndian.Uint64(b)) }

// bytes16 hashes the 16 bytes of an IPv6 address.
func (h *hasher) bytes16(b []byte) uint64 {
	lo := binary.LittleEndian.Uint64(b)
	hi := binary.LittleEndian.Uint64(b[8:])
	return h.word(lo ^ bits.RotateLeft64(hi, 29))
}

func (h *hasher) md5(k [16]byte) uint64    { return h.word8(k[:]) }
func (h *hasher) sha1(k [20]byte) uint64   { return h.word8(k[:]) }
func (h *hasher) sha256(k [32]byte) uint64 { return h.word8(k[:]) }
func (h *hasher) sha512(k [64]byte) uint64 { return h.word8(k[:]) }
func (h *hasher) ip4(k uint32) uint64      { return h.word(uint64(k)) }
func (h *hasher) ip6(k [16]byte) uint64    { return h.bytes16(k[:]) }

// keyHash is the identity: string tables are keyed by the full hash.
func keyHash(k uint64) uint64 { return k }

// ip4Key returns the table key of an IPv4 address.
func ip4Key(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// hexVal maps a byte to its hex digit value, or 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// decodeHex decodes s, of exactly 2*len(dst) hex digits in either case,
// into dst. Hot path: it allocates nothing.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	bad := byte(0)
	for i := range dst {
		hi, lo := hexVal[s[2*i]], hexVal[s[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo
	}
	return bad&0xf0 == 0
}

// parseAddr parses an IP address the way netip.ParseAddr does, then drops
// the zone and unmaps IPv4-mapped IPv6. IPv4 text is parsed here, so that
// rejecting a malformed address allocates nothing; IPv6 text that has
// only the characters of IPv6 notation goes to netip.ParseAddr, whose
// error value is allocated when such text is still malformed. Hot path.
func parseAddr(s string) (netip.Addr, bool) {
	if a, ok := parse4(s); ok {
		return a, true
	}
	if !maybe6(s) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// parse4 parses dotted-quad IPv4 with netip's rules: four decimal fields
// of at most 255, no leading zeros.
func parse4(s string) (netip.Addr, bool) {
	var b [4]byte
	field, val, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return netip.Addr{}, false
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && digits > 0 && field < 3:
			b[field] = byte(val)
			field, val, digits = field+1, 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if field != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	b[3] = byte(val)
	return netip.AddrFrom4(b), true
}

// maybe6 reports whether s could be IPv6 text: a colon, and otherwise hex
// digits, colons, dots and a zone.
func maybe6(s string) bool {
	colon := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			colon = true
		case c == '%':
			return colon && i+1 < len(s)
		case c == '.' || hexVal[c] != 0xff:
		default:
			return false
		}
	}
	return colon
}

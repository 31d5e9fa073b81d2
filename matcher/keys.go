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
// uniform already (the mixing keeps the bucket out of an attacker's
// choice), and all a lookup decodes from the hex text (hexWord) before it
// knows whether the table has a candidate.
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

// hexWord returns what binary.LittleEndian.Uint64 gives for the 8 bytes
// that the first 16 hex digits of s spell, either case, so that a lookup
// hashes a digest the way the table did without decoding it byte by byte.
// Digits that are not hex give some other word, which no key is stored
// under unless its tag check passes; decodeHex then rejects them. s must
// have at least 16 bytes. Hot path.
func hexWord(s string) uint64 {
	return uint64(hex8(le64(s))) | uint64(hex8(le64(s[8:])))<<32
}

// le64 loads the first 8 bytes of s as a little-endian word.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// hex8 turns 8 hex digits, as a little-endian word, into the 4 bytes they
// spell, as a little-endian word: each byte's value is its low nibble, plus
// 9 for a letter (bit 6 set), and pairs of values are then packed.
func hex8(x uint64) uint32 {
	n := x&0x0f0f0f0f0f0f0f0f + (x>>6&0x0101010101010101)*9
	n = (n<<4 | n>>8) & 0x00ff00ff00ff00ff
	n = (n | n>>8) & 0x0000ffff0000ffff
	return uint32(n | n>>16)
}

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
// of at most 255, no leading zeros. Hot path.
func parse4(s string) (netip.Addr, bool) {
	k, ok := parse4Key(s)
	if !ok {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}), true
}

// parse4Key is parse4 returning the address as ip4Key does. A field is
// one digit, or two or three not starting with 0.
func parse4Key(s string) (uint32, bool) {
	var k uint32
	i := 0
	for f := range 4 {
		if f > 0 {
			if i >= len(s) || s[i] != '.' {
				return 0, false
			}
			i++
		}
		if i >= len(s) {
			return 0, false
		}
		v := uint32(s[i] - '0')
		if v > 9 {
			return 0, false
		}
		i++
		if v != 0 {
			for range 2 {
				if i >= len(s) {
					break
				}
				d := uint32(s[i] - '0')
				if d > 9 {
					break
				}
				v = v*10 + d
				i++
			}
			if v > 255 {
				return 0, false
			}
		}
		k = k<<8 | v
	}
	return k, i == len(s)
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

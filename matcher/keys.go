package matcher

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net/netip"
	"strconv"
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
func (h *hasher) ip4(k uint32) uint64      { return h.ip4Text(format4(k)) }
func (h *hasher) ip6(k [16]byte) uint64    { return h.bytes16(k[:]) }

// ip4Text hashes the canonical text of an IPv4 address, as the two words
// load4 reads: the IPv4 table is hashed by the text, so that a lookup of
// text settles a miss without parsing it. Both words go through the
// seeded mixer, so that which texts collide depends on the seed. Hot path.
func (h *hasher) ip4Text(w0, w1 uint64) uint64 { return h.word(h.word(w0) ^ w1) }

// load4 returns the text s, of 7 to 15 bytes, as two little-endian words
// (byte i of s is byte i of the pair; bytes past the end are 0), or false
// if s has another length or a colon, that is, when s may be IPv6 or is
// surely no address; text that load4 accepts is IPv4 or nothing. Hot
// path.
func load4(s string) (w0, w1 uint64, ok bool) {
	n := len(s)
	if n < 7 || n > 15 {
		return 0, 0, false
	}
	if n >= 8 {
		w0 = le64(s)
		w1 = le64(s[n-8:]) >> (uint(16-n) * 8) // 0 when n is 8
	} else {
		w0 = uint64(le32(s)) | uint64(le32(s[3:]))<<24
	}
	const colons = 0x3a3a3a3a3a3a3a3a
	return w0, w1, zero8(w0^colons)|zero8(w1^colons) == 0
}

// format4 returns the canonical text of the IPv4 address k (as ip4Key
// gives it) as load4 reads it. "a.b." and "c.d" each fit in a word; the
// second is shifted past the first, whose length is 4 to 8 bytes.
func format4(k uint32) (w0, w1 uint64) {
	a, b := octet4[k>>24], octet4[k>>16&0xff]
	c, d := octet4[k>>8&0xff], octet4[k&0xff]
	la, lc, ld := uint(a>>32)*8, uint(c>>32)*8, uint(d>>32)*8 // bit lengths, dots included
	ab := a&0xffffffff | b&0xffffffff<<la
	cd := c&0xffffffff | d&(1<<(ld-8)-1)<<lc // no dot after d
	l := la + uint(b>>32)*8                  // 32 to 64
	return ab | cd<<l, cd >> (64 - l)        // a shift by 64 gives 0
}

// octet4 holds, for each byte value, its decimal digits followed by a dot
// as a little-endian word in the low 32 bits, and their number in the
// high bits.
var octet4 = func() (t [256]uint64) {
	for v := range t {
		s := strconv.Itoa(v) + "."
		var w uint64
		for i := len(s) - 1; i >= 0; i-- {
			w = w<<8 | uint64(s[i])
		}
		t[v] = w | uint64(len(s))<<32
	}
	return t
}()

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

// parse4Key is parse4 returning the address as ip4Key does: exactly
// netip's rules on every input, without a branch that depends on the
// field lengths. A dotted quad has 7 to 15 bytes; they are loaded as two
// little-endian words (byte i of the text is byte i of the pair, zero past
// the end), the dots and non-digits of all bytes are found with word
// operations, the three dot positions give the fields, and each field's
// value is read from the digit values at fixed offsets before its end. All
// the checks (a non-digit other than the three dots, a field of 0 or more
// than 3 digits, a leading zero, a value over 255) are folded into one
// test at the end, which canonical addresses always pass. Hot path.
func parse4Key(s string) (uint32, bool) {
	w0, w1, ok := load4(s)
	if !ok {
		return 0, false
	}
	n := len(s)
	// Bytes past the end are 0, a non-digit; only the first n count.
	inLen1 := uint64(lanes8b) >> (uint(16-n) * 8) // 0 when n <= 8
	inLen0 := uint64(lanes8b)
	if n == 7 {
		inLen0 >>= 8
	}
	x0, x1 := w0^0x3030303030303030, w1^0x3030303030303030 // digits to 0..9
	nd0, nd1 := nonDigits(x0), nonDigits(x1)
	d0, d1 := zero8(w0^0x2e2e2e2e2e2e2e2e), zero8(w1^0x2e2e2e2e2e2e2e2e)
	// Digit values, 0 at the dots and past the end, at buf[8+i] for byte
	// i; buf[0:8] is 0 so that reading before the first field gives 0.
	var buf [32]byte
	binary.LittleEndian.PutUint64(buf[8:], x0&^(nd0>>7*0xff))
	binary.LittleEndian.PutUint64(buf[16:], x1&^(nd1>>7*0xff))
	nd0, nd1 = nd0&inLen0, nd1&inLen1
	dots := uint32(gather8(d0)) | uint32(gather8(d1))<<8
	p1 := bits.TrailingZeros32(dots)
	rest := dots & (dots - 1)
	p2 := bits.TrailingZeros32(rest)
	rest &= rest - 1
	p3 := bits.TrailingZeros32(rest) // 32 with fewer than three dots
	rest &= rest - 1
	v1, b1 := field4(&buf, 0, p1)
	v2, b2 := field4(&buf, p1+1, p2)
	v3, b3 := field4(&buf, p2+1, p3)
	v4, b4 := field4(&buf, p3+1, n)
	if (b1|b2|b3|b4) < 0 || nd0 != d0 || nd1 != d1 || rest != 0 {
		return 0, false
	}
	return uint32(v1<<24 | v2<<16 | v3<<8 | v4), true
}

// lanes8b is the top bit of every byte.
const lanes8b = 0x8080808080808080

// nonDigits sets the top bit of every byte of x (text XOR '0' in each
// byte) that is 10 or more, that is, whose text byte is not a digit.
func nonDigits(x uint64) uint64 {
	return ((x&0x7f7f7f7f7f7f7f7f + 0x7676767676767676) | x) & lanes8b
}

// zero8 sets the top bit of every byte of x that is zero, and of no other.
func zero8(x uint64) uint64 {
	return ^((x&0x7f7f7f7f7f7f7f7f + 0x7f7f7f7f7f7f7f7f) | x) & lanes8b
}

// gather8 packs the top bits of the 8 bytes of m (only top bits set) into
// a byte, byte i to bit i.
func gather8(m uint64) uint8 { return uint8((m >> 7) * 0x0102040810204080 >> 56) }

// field4 returns the value of the field of the text between a and e
// (bytes a to e-1) from buf, the digit values as parse4Key lays them out,
// and a number that is negative when the field is not a valid IPv4 field:
// 1 to 3 digits, no leading zero, at most 255. Any a and e are safe.
func field4(buf *[32]byte, a, e int) (v, bad int) {
	l := e - a
	v = int(buf[(e+7)&31]) + 10*int(buf[(e+6)&31]) + 100*(l>>1&1)*int(buf[(e+5)&31])
	// A field of l digits with no leading zero is at least minField[l].
	return v, (l - 1) | (3 - l) | (255 - v) | (v - int(minField[l&3]))
}

// minField is the least value of a field of i digits without a leading
// zero (index 0 is never used by a valid field).
var minField = [4]uint8{0, 0, 10, 100}

// le32 loads the first 4 bytes of s as a little-endian word.
func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
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

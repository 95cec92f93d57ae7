package server

import "encoding/binary"

// utf8Stream checks that a byte stream split into arbitrary chunks is valid
// UTF-8 (RFC 3629), failing in the chunk that makes it impossible: its state
// is that of a DFA that reaches stateError as soon as the bytes so far cannot
// begin any valid text, such as a surrogate's first two bytes, or F4 90.
//
// The DFA is shift-based: each byte costs one table load and one shift, with
// no branch on the data, and ASCII goes eight bytes at a time. On text with
// many multi-byte characters that is about twice as fast as utf8.Valid, which
// the echo's profile showed was most of its time for such text.
type utf8Stream struct {
	state uint64
}

// The DFA's states, as bit offsets into a row of utf8Table (multiples of 6).
const (
	stateAccept = 0 * 6 // between characters
	stateError  = 1 * 6 // no valid text starts so; stays there
	stateCont1  = 2 * 6 // one continuation byte (80-BF) to go
	stateCont2  = 3 * 6 // two to go
	stateCont3  = 4 * 6 // three to go
	stateE0     = 5 * 6 // after E0: A0-BF (no overlong), then one more
	stateED     = 6 * 6 // after ED: 80-9F (no surrogate), then one more
	stateF0     = 7 * 6 // after F0: 90-BF (no overlong), then two more
	stateF4     = 8 * 6 // after F4: 80-8F (at most U+10FFFF), then two more
)

// utf8Table[b] holds, at bit offset s, the state that byte b leads to from
// state s.
var utf8Table = func() (t [256]uint64) {
	for b := range t {
		for s := uint64(0); s <= stateF4; s += 6 {
			t[b] |= stateError << s
		}
	}
	set := func(lo, hi int, from, to uint64) {
		for b := lo; b <= hi; b++ {
			t[b] = t[b]&^(63<<from) | to<<from
		}
	}
	set(0x00, 0x7F, stateAccept, stateAccept)
	set(0xC2, 0xDF, stateAccept, stateCont1)
	set(0xE0, 0xE0, stateAccept, stateE0)
	set(0xE1, 0xEC, stateAccept, stateCont2)
	set(0xED, 0xED, stateAccept, stateED)
	set(0xEE, 0xEF, stateAccept, stateCont2)
	set(0xF0, 0xF0, stateAccept, stateF0)
	set(0xF1, 0xF3, stateAccept, stateCont3)
	set(0xF4, 0xF4, stateAccept, stateF4)
	set(0x80, 0xBF, stateCont1, stateAccept)
	set(0x80, 0xBF, stateCont2, stateCont1)
	set(0x80, 0xBF, stateCont3, stateCont2)
	set(0xA0, 0xBF, stateE0, stateCont1)
	set(0x80, 0x9F, stateED, stateCont1)
	set(0x90, 0xBF, stateF0, stateCont2)
	set(0x80, 0x8F, stateF4, stateCont2)
	return t
}()

// Write reports whether p keeps the stream valid so far.
func (s *utf8Stream) Write(p []byte) bool {
	st := s.state
	i := 0
	for ; i+8 <= len(p); i += 8 {
		if st == stateAccept && binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 == 0 {
			continue // eight ASCII bytes
		}
		st = utf8Table[p[i]] >> st & 63
		st = utf8Table[p[i+1]] >> st & 63
		st = utf8Table[p[i+2]] >> st & 63
		st = utf8Table[p[i+3]] >> st & 63
		st = utf8Table[p[i+4]] >> st & 63
		st = utf8Table[p[i+5]] >> st & 63
		st = utf8Table[p[i+6]] >> st & 63
		st = utf8Table[p[i+7]] >> st & 63
	}
	for ; i < len(p); i++ {
		st = utf8Table[p[i]] >> st & 63
	}
	s.state = st
	return st != stateError
}

// Close reports whether the stream ended on a character boundary.
func (s *utf8Stream) Close() bool { return s.state == stateAccept }

// Reset makes the stream ready for a new message.
func (s *utf8Stream) Reset() { s.state = stateAccept }

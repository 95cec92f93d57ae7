package server

import "unicode/utf8"

// utf8Stream checks that a byte stream split into arbitrary chunks is valid
// UTF-8, failing as soon as a chunk makes that impossible: a sequence cut at a
// chunk's end is held back only while it can still become valid.
type utf8Stream struct {
	tail [utf8.UTFMax]byte // the start of a sequence cut by the last chunk
	n    int               // bytes in tail
}

// Write reports whether p keeps the stream valid so far.
func (s *utf8Stream) Write(p []byte) bool {
	if s.n > 0 {
		// Complete the cut sequence with as few bytes of p as it needs.
		need := seqLen(s.tail[0]) - s.n
		take := min(need, len(p))
		copy(s.tail[s.n:], p[:take])
		s.n += take
		p = p[take:]
		if take < need {
			return validPrefix(s.tail[:s.n])
		}
		if !utf8.Valid(s.tail[:s.n]) {
			return false
		}
		s.n = 0
	}
	cut := incompleteSuffix(p)
	if !utf8.Valid(p[:len(p)-cut]) {
		return false
	}
	s.n = copy(s.tail[:], p[len(p)-cut:])
	return validPrefix(s.tail[:s.n])
}

// Close reports whether the stream ended on a character boundary.
func (s *utf8Stream) Close() bool { return s.n == 0 }

// Reset makes the stream ready for a new message.
func (s *utf8Stream) Reset() { s.n = 0 }

// incompleteSuffix returns how many bytes at the end of p start a multi-byte
// sequence that p does not complete. It looks back at most three bytes.
func incompleteSuffix(p []byte) int {
	for i := 1; i <= min(utf8.UTFMax-1, len(p)); i++ {
		b := p[len(p)-i]
		if b < 0x80 {
			return 0 // ASCII: nothing is cut
		}
		if b >= 0xC0 { // a lead byte
			if seqLen(b) > i {
				return i
			}
			return 0
		}
	}
	return 0
}

// seqLen is the length of the sequence that lead byte b starts, or 1 for a
// byte that cannot start one (utf8.Valid then rejects it).
func seqLen(b byte) int {
	switch {
	case b >= 0xC2 && b <= 0xDF:
		return 2
	case b >= 0xE0 && b <= 0xEF:
		return 3
	case b >= 0xF0 && b <= 0xF4:
		return 4
	}
	return 1
}

// validPrefix reports whether p, shorter than its lead byte asks for, can still
// be completed into a valid sequence. The second byte's range depends on the
// lead byte (RFC 3629): this is what rejects overlongs, surrogates and code
// points past U+10FFFF before their last byte arrives.
func validPrefix(p []byte) bool {
	if len(p) == 0 {
		return true
	}
	if seqLen(p[0]) == 1 {
		return false
	}
	for i, b := range p[1:] {
		lo, hi := byte(0x80), byte(0xBF)
		if i == 0 {
			switch p[0] {
			case 0xE0:
				lo = 0xA0
			case 0xED:
				hi = 0x9F
			case 0xF0:
				lo = 0x90
			case 0xF4:
				hi = 0x8F
			}
		}
		if b < lo || b > hi {
			return false
		}
	}
	return true
}

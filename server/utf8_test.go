package server

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestUTF8Stream(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		valid bool
	}{
		{"empty", "", true},
		{"ascii", "hello", true},
		{"greek", "κόσμε", true},
		{"four_byte", "😀 𝄞", true},
		{"max_code_point", "\U0010FFFF", true},
		{"surrogate_high", "\xed\xa0\x80", false},
		{"surrogate_low", "\xed\xbf\xbf", false},
		{"overlong_slash_2", "\xc0\xaf", false},
		{"overlong_slash_3", "\xe0\x80\xaf", false},
		{"overlong_slash_4", "\xf0\x80\x80\xaf", false},
		{"past_max_code_point", "\xf4\x90\x80\x80", false},
		{"lone_continuation", "a\x80b", false},
		{"truncated_2", "a\xce", false},
		{"truncated_4", "\xf0\x9f\x98", false},
		{"lead_f5", "\xf5\x80\x80\x80", false},
		{"lead_ff", "\xff", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Every split of the input into two chunks, and byte by byte.
			for cut := 0; cut <= len(tc.in); cut++ {
				var s utf8Stream
				ok := s.Write([]byte(tc.in[:cut])) && s.Write([]byte(tc.in[cut:])) && s.Close()
				assert.Equal(t, tc.valid, ok, "split at %d", cut)
			}
			var s utf8Stream
			ok := true
			for i := 0; i < len(tc.in) && ok; i++ {
				ok = s.Write([]byte{tc.in[i]})
			}
			assert.Equal(t, tc.valid, ok && s.Close(), "byte by byte")
		})
	}
}

// TestUTF8StreamFailsFast pins that a sequence that can no longer become valid
// is rejected by the chunk that makes it so, not at the end of the message.
func TestUTF8StreamFailsFast(t *testing.T) {
	for _, prefix := range []string{"\xf4\x90", "\xed\xa0", "\xe0\x80", "\xf0\x80", "\xc0", "\x80", "ok\xce\xba\xf5"} {
		var s utf8Stream
		assert.False(t, s.Write([]byte(prefix)), "%q", prefix)
	}
	var s utf8Stream
	assert.True(t, s.Write([]byte("\xf0\x9f")), "a valid start of 😀 is held back")
	assert.False(t, s.Close(), "and is invalid if the message ends there")
}

func TestUTF8StreamMatchesValid(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "κ", "€", "😀", "\x80", "\xc0", "\xed\xa0\x80", "\xf4\x90", "\xe0", "\xff"}
	for range 2000 {
		var msg []byte
		for range r.IntN(12) {
			msg = append(msg, alphabet[r.IntN(len(alphabet))]...)
		}
		var s utf8Stream
		ok := true
		for rest := msg; len(rest) > 0 && ok; {
			n := 1 + r.IntN(len(rest))
			ok = s.Write(rest[:n])
			rest = rest[n:]
		}
		assert.Equal(t, utf8.Valid(msg), ok && s.Close(), "%q", msg)
	}
}

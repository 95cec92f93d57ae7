package server

import (
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzUTF8Stream checks the streaming check against utf8.Valid, with the input
// cut into chunks whose lengths come from cuts, and checks that it fails fast:
// it rejects a chunk exactly when no continuation could make the text valid.
func FuzzUTF8Stream(f *testing.F) {
	for _, seed := range [][2]string{
		{"hello κόσμε 😀", "\x01\x02\x03"},
		{"\xf0\x9f\x98\x80", "\x00\x00\x00\x00"},
		{"\xed\xa0\x80", "\x00"},
		{"\xf4\x90\x80\x80", "\x01"},
		{"a\xc0\xafb", "\x02"},
		{"\xe0\xa0", ""},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		var s utf8Stream
		ok := true
		end := 0
		for i := 0; end < len(data); i++ {
			n := len(data) - end
			if len(cuts) > 0 {
				n = min(n, int(cuts[i%len(cuts)]%8)+1)
			}
			end += n
			ok = s.Write(data[end-n : end])
			if ok != canBecomeValid(data[:end]) {
				t.Fatalf("after %q the stream says %v, want %v", data[:end], ok, !ok)
			}
			if !ok {
				break
			}
		}
		if ok {
			ok = s.Close()
		}
		if ok != utf8.Valid(data) {
			t.Fatalf("%q cut by %v: stream says %v, utf8.Valid %v", data, cuts, ok, utf8.Valid(data))
		}
	})
}

// canBecomeValid reports whether some continuation of at most three bytes
// makes p valid UTF-8, trying every boundary of the continuation byte ranges.
func canBecomeValid(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	edges := []byte{0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF}
	var try func(q []byte, depth int) bool
	try = func(q []byte, depth int) bool {
		if utf8.Valid(q) {
			return true
		}
		if depth == 3 {
			return false
		}
		for _, b := range edges {
			if try(append(q[:len(q):len(q)], b), depth+1) {
				return true
			}
		}
		return false
	}
	return try(p, 0)
}

// FuzzServerFrames feeds a real server a stream of frames decoded from the
// input and checks that it never panics (a panic would end the process), that
// everything it sends is a well-formed frame with a valid close code, and that
// it ends every connection once the client stops sending.
//
// The input is a list of frames: a first byte (FIN, RSV and opcode bits as on
// the wire), a length byte (its low 7 bits), then that many payload bytes.
// The test masks every frame, so the stream goes past the handshake's checks.
func FuzzServerFrames(f *testing.F) {
	frames := func(fs ...out) []byte {
		var b []byte
		for _, fr := range fs {
			b0 := fr.opcode | fr.rsv
			if fr.fin {
				b0 |= 0x80
			}
			b = append(append(b, b0, byte(len(fr.payload))), fr.payload...)
		}
		return b
	}
	f.Add(frames(out{fin: true, opcode: opText, payload: []byte("hello")}))
	f.Add(frames(out{opcode: opBinary, payload: []byte{1, 2}}, out{fin: true, opcode: opPing}, out{fin: true, opcode: opContinuation, payload: []byte{3}}))
	f.Add(frames(out{fin: true, opcode: opText, payload: []byte("\xed\xa0\x80")}))
	f.Add(frames(out{fin: true, opcode: opClose, payload: closePayload(4000, "bye")}))
	f.Add(frames(out{fin: true, opcode: opClose, payload: closePayload(1005, "")}))
	f.Add(frames(out{fin: true, opcode: 0x3}, out{fin: true, rsv: 0x40, opcode: opText}))
	f.Add(frames(out{opcode: opText, payload: []byte("a")}, out{fin: true, opcode: opText, payload: []byte("b")}))

	ts := newTestServer(f, Options{ReceiveBufferSize: 64, MaxMessageSize: 4096, KeepAliveInterval: time.Hour})
	f.Fuzz(func(t *testing.T, input []byte) {
		c := dialRaw(t, ts.url)
		var stream []byte
		for rest := input; len(rest) >= 2; {
			n := min(int(rest[1]&0x7F), len(rest)-2)
			stream = append(stream, encode(out{
				fin:     rest[0]&0x80 != 0,
				rsv:     rest[0] & 0x70,
				opcode:  rest[0] & 0x0F,
				payload: rest[2 : 2+n],
			})...)
			rest = rest[2+n:]
		}
		if _, err := c.nc.Write(stream); err != nil {
			return // the server failed the connection before all of it was sent
		}
		// The client has said all it will; the server must end the connection:
		// at once after a failure, or when it reads the client's EOF.
		if err := c.nc.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
			return
		}
		c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		closed, inMessage := false, false
		for {
			fr, err := c.tryRead()
			if err != nil {
				if isTimeout(err) {
					t.Fatalf("the server kept the connection open 5s after the client's EOF")
				}
				if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "masked frame") {
					t.Fatalf("a malformed frame from the server: %v", err)
				}
				return // EOF or reset at a frame boundary: the connection ended
			}
			if closed {
				t.Fatalf("a frame (opcode %d) after the server's close frame", fr.opcode)
			}
			if fr.rsv != 0 {
				t.Fatalf("a frame with reserved bits %#x", fr.rsv)
			}
			switch fr.opcode {
			case opText, opBinary:
				if inMessage {
					t.Fatalf("a new message inside an unfinished one")
				}
				inMessage = !fr.fin
			case opContinuation:
				if !inMessage {
					t.Fatalf("a continuation with no message to continue")
				}
				inMessage = !fr.fin
			case opPong, opClose:
				if !fr.fin || len(fr.payload) > 125 {
					t.Fatalf("a control frame (opcode %d) fragmented or over 125 bytes", fr.opcode)
				}
				if fr.opcode == opClose {
					closed = true
					if len(fr.payload) == 1 {
						t.Fatalf("close frame with a 1-byte payload")
					}
					if len(fr.payload) >= 2 {
						if code := binary.BigEndian.Uint16(fr.payload); !validCloseCode(code) {
							t.Fatalf("close frame with code %d", code)
						}
					}
				}
			default:
				t.Fatalf("the server sent a frame with opcode %d", fr.opcode)
			}
		}
	})
}

// validCloseCode reports whether a server may send code in a close frame.
func validCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

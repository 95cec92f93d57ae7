package server

import (
	"fmt"
	"testing"
)

// BenchmarkEcho measures the server's cost per echoed message with a client
// that costs next to nothing: its frames are masked once, and the echo is read
// as raw frames. Run with -cpuprofile to see where the server spends.
func BenchmarkEcho(b *testing.B) {
	ts := newTestServer(b, Options{ReceiveBufferSize: 65536})
	for _, size := range []int{16, 4 << 10, 64 << 10, 1 << 20} {
		for _, opcode := range []byte{opText, opBinary} {
			b.Run(fmt.Sprintf("%s_%d", opName(opcode), size), func(b *testing.B) {
				msg := pattern(size)
				if opcode == opText {
					msg = textOf(size)
				}
				wire := encode(out{fin: true, opcode: opcode, payload: msg})
				c := dialRaw(b, ts.url)
				b.SetBytes(int64(len(msg)))
				for b.Loop() {
					if _, err := c.nc.Write(wire); err != nil {
						b.Fatal(err)
					}
					for !c.read().fin { // to the echo's last frame
					}
				}
			})
		}
	}
}

// textOf returns size bytes of valid UTF-8 with one- to four-byte characters.
func textOf(size int) []byte {
	b := make([]byte, 0, size)
	for i := 0; len(b) < size; i++ {
		p := textPieces[i%len(textPieces)]
		if len(b)+len(p) > size {
			p = "a"
		}
		b = append(b, p...)
	}
	return b
}

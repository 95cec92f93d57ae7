package server

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawConn is a WebSocket client that speaks frames, so tests can see exactly
// what the server puts on the wire and send what a library would refuse to.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

type frame struct {
	fin     bool
	rsv     byte // RSV1-3 as in the first byte; always 0 from wsecho
	opcode  byte
	payload []byte
}

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// dialRaw opens a TCP connection to wsURL and completes the handshake.
func dialRaw(t testing.TB, wsURL string) *rawConn {
	t.Helper()
	u, err := url.Parse(wsURL)
	require.NoError(t, err)
	nc, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second))) // for the handshake

	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", u.RequestURI(), u.Host)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	require.NoError(t, nc.SetDeadline(time.Time{})) // each operation sets its own
	return &rawConn{t: t, nc: nc, br: br}
}

// addr is the client's address, as the server logs it.
func (c *rawConn) addr() string { return c.nc.LocalAddr().String() }

// out is a frame for the test to send, valid or not.
type out struct {
	fin      bool
	rsv      byte // RSV1-3 bits as they sit in the first byte (0x40, 0x20, 0x10)
	opcode   byte
	payload  []byte
	unmasked bool
	length   *uint64 // a 64-bit length to put in the header instead of len(payload)
}

// encode returns f as bytes on the wire.
func encode(f out) []byte {
	b0 := f.opcode | f.rsv
	if f.fin {
		b0 |= 0x80
	}
	maskBit := byte(0x80)
	if f.unmasked {
		maskBit = 0
	}
	var b []byte
	switch n := len(f.payload); {
	case f.length != nil:
		b = binary.BigEndian.AppendUint64([]byte{b0, maskBit | 127}, *f.length)
	case n < 126:
		b = []byte{b0, maskBit | byte(n)}
	case n <= 0xFFFF:
		b = binary.BigEndian.AppendUint16([]byte{b0, maskBit | 126}, uint16(n))
	default:
		b = binary.BigEndian.AppendUint64([]byte{b0, maskBit | 127}, uint64(n))
	}
	if f.unmasked {
		return append(b, f.payload...)
	}
	var key [4]byte
	rand.Read(key[:])
	b = append(b, key[:]...)
	for i, p := range f.payload {
		b = append(b, p^key[i%4])
	}
	return b
}

// opTimeout bounds one read or write of a test; generous, for a 16 MiB echo on
// a machine busy with the race detector and other packages' tests.
const opTimeout = 30 * time.Second

// send writes frames in one write.
func (c *rawConn) send(frames ...out) {
	c.t.Helper()
	require.NoError(c.t, c.sendErr(frames...))
}

// sendErr is send for goroutines other than the test's: it returns the error.
func (c *rawConn) sendErr(frames ...out) error {
	var b []byte
	for _, f := range frames {
		b = append(b, encode(f)...)
	}
	c.nc.SetWriteDeadline(time.Now().Add(opTimeout))
	_, err := c.nc.Write(b)
	return err
}

// sendBytewise writes a frame one byte per write.
func (c *rawConn) sendBytewise(f out) {
	c.t.Helper()
	for _, b := range encode(f) {
		_, err := c.nc.Write([]byte{b})
		require.NoError(c.t, err)
	}
}

// write sends one masked frame.
func (c *rawConn) write(fin bool, opcode byte, payload []byte) {
	c.t.Helper()
	c.send(out{fin: fin, opcode: opcode, payload: payload})
}

// read returns the next frame from the server.
func (c *rawConn) read() frame {
	c.t.Helper()
	require.NoError(c.t, c.nc.SetReadDeadline(time.Now().Add(opTimeout)))
	f, err := c.tryRead()
	require.NoError(c.t, err)
	return f
}

func (c *rawConn) tryRead() (frame, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return frame{}, err
	}
	if h[1]&0x80 != 0 {
		return frame{}, fmt.Errorf("server sent a masked frame")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return frame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return frame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.br, p); err != nil {
		return frame{}, err
	}
	return frame{fin: h[0]&0x80 != 0, rsv: h[0] & 0x70, opcode: h[0] & 0x0F, payload: p}, nil
}

// closePayload builds a close frame's payload.
func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// readClose reads frames until a close frame, answers it as a conformant client
// does, and returns its code and reason.
func (c *rawConn) readClose() (uint16, string) {
	c.t.Helper()
	code, reason := c.readCloseNoReply()
	c.write(true, opClose, closePayload(code, ""))
	return code, reason
}

// readCloseNoReply is readClose for a client that never answers.
func (c *rawConn) readCloseNoReply() (uint16, string) {
	c.t.Helper()
	for {
		f := c.read()
		if f.opcode == opClose {
			require.GreaterOrEqual(c.t, len(f.payload), 2, "close frame without a code")
			return binary.BigEndian.Uint16(f.payload), string(f.payload[2:])
		}
	}
}

// expectEcho reads one message and checks that it is payload, with opcode.
func (c *rawConn) expectEcho(opcode byte, payload []byte) {
	c.t.Helper()
	f := c.read()
	require.Equal(c.t, opcode, f.opcode, "opcode of the echo")
	got := f.payload
	for !f.fin {
		f = c.read()
		require.Equal(c.t, byte(opContinuation), f.opcode, "a continuation of the echo")
		got = append(got, f.payload...)
	}
	require.Equal(c.t, len(payload), len(got), "length of the echo")
	require.True(c.t, string(payload) == string(got), "the echo differs from what was sent")
}

// expectFail checks that the server fails the connection as RFC 6455 asks: a
// close frame with code within a second (data frames of a message the server
// had begun to echo may come first), then the TCP connection closed within a
// second.
func (c *rawConn) expectFail(code uint16) {
	c.t.Helper()
	c.expectCloseFrame(code)
	// The server may have closed already: the answer is best effort.
	c.nc.Write(encode(out{fin: true, opcode: opClose, payload: closePayload(code, "")}))
	c.expectTCPClosed(time.Second)
}

// expectCloseFrame reads up to the server's close frame, within a second, and
// checks its code.
func (c *rawConn) expectCloseFrame(code uint16) {
	c.t.Helper()
	require.NoError(c.t, c.nc.SetReadDeadline(time.Now().Add(time.Second)))
	for {
		f, err := c.tryRead()
		require.NoError(c.t, err, "no close frame within 1s")
		if f.opcode == opClose {
			require.GreaterOrEqual(c.t, len(f.payload), 2, "close frame without a code")
			require.Equal(c.t, code, binary.BigEndian.Uint16(f.payload), "close code (reason %q)", f.payload[2:])
			return
		}
		require.Contains(c.t, []byte{opText, opBinary, opContinuation}, f.opcode, "unexpected frame before the close")
	}
}

// expectTCPClosed checks that the server closes the connection within d,
// sending nothing more.
func (c *rawConn) expectTCPClosed(d time.Duration) {
	c.t.Helper()
	require.NoError(c.t, c.nc.SetReadDeadline(time.Now().Add(d)))
	f, err := c.tryRead()
	require.Error(c.t, err, "a frame after the close: %+v", f)
	require.False(c.t, isTimeout(err), "the server did not close TCP within %v", d)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout() || strings.Contains(err.Error(), "i/o timeout")
}

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
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))

	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", u.RequestURI(), u.Host)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	return &rawConn{t: t, nc: nc, br: br}
}

// write sends one masked frame.
func (c *rawConn) write(fin bool, opcode byte, payload []byte) {
	c.t.Helper()
	var hdr []byte
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	switch n := len(payload); {
	case n < 126:
		hdr = []byte{b0, 0x80 | byte(n)}
	case n <= 0xFFFF:
		hdr = binary.BigEndian.AppendUint16([]byte{b0, 0x80 | 126}, uint16(n))
	default:
		hdr = binary.BigEndian.AppendUint64([]byte{b0, 0x80 | 127}, uint64(n))
	}
	var key [4]byte
	rand.Read(key[:])
	masked := make([]byte, len(payload))
	for i, b := range payload {
		masked[i] = b ^ key[i%4]
	}
	_, err := c.nc.Write(append(append(hdr, key[:]...), masked...))
	require.NoError(c.t, err)
}

// read returns the next frame from the server.
func (c *rawConn) read() frame {
	c.t.Helper()
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
	return frame{fin: h[0]&0x80 != 0, opcode: h[0] & 0x0F, payload: p}, nil
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

package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile and faulty clients: each must lose its own connection, never the
// server or the other clients.

func hostOf(t testing.TB, wsURL string) string {
	u, err := url.Parse(wsURL)
	require.NoError(t, err)
	return u.Host
}

func TestSlowloris(t *testing.T) {
	ts := newTestServer(t, Options{ReadHeaderTimeout: 200 * time.Millisecond})
	nc, err := net.Dial("tcp", hostOf(t, ts.url))
	require.NoError(t, err)
	defer nc.Close()
	// Headers that never finish.
	_, err = fmt.Fprint(nc, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = bufio.NewReader(nc).ReadString('\n')
	require.Error(t, err, "the server answered unfinished headers")
	assert.False(t, isTimeout(err), "the connection was still open after 5s")
	t.Logf("closed %v after the headers stalled", time.Since(start).Round(time.Millisecond))
}

func TestHeadersTooLarge431(t *testing.T) {
	ts := newTestServer(t, Options{MaxHeaderBytes: 8 << 10})
	req, err := http.NewRequestWithContext(testContext(t), "GET", ts.http, nil)
	require.NoError(t, err)
	req.Header.Set("X-Padding", strings.Repeat("p", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
}

func TestMaxConnections(t *testing.T) {
	ts := newTestServer(t, Options{MaxConnections: 3})
	ctx := testContext(t)
	open := []*websocket.Conn{dial(t, ts.url, nil), dial(t, ts.url, nil), dial(t, ts.url, nil)}

	_, resp, err := websocket.Dial(ctx, ts.url, nil)
	require.Error(t, err, "a fourth connection")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

	for i, c := range open { // the open ones keep echoing
		msg := fmt.Sprintf("still here %d", i)
		require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(msg)))
		_, got, err := c.Read(ctx)
		require.NoError(t, err)
		assert.Equal(t, msg, string(got))
	}

	// A closed connection frees its place.
	require.NoError(t, open[0].Close(websocket.StatusNormalClosure, ""))
	waitConns(t, ts.Server, 2)
	dial(t, ts.url, nil)
}

// TestStoppedReader: a client that sends but never reads fills its receive
// window; its echo write then blocks until WriteTimeout drops it, while another
// client echoes as usual.
func TestStoppedReader(t *testing.T) {
	ts := newTestServer(t, Options{WriteTimeout: 300 * time.Millisecond})
	stuck := dialRaw(t, ts.url)
	require.NoError(t, stuck.nc.(*net.TCPConn).SetReadBuffer(4<<10))
	sendErr := make(chan error, 1)
	go func() {
		// Far more than the socket buffers hold, so the echo must block.
		msg := pattern(1 << 20)
		for range 256 {
			if _, err := stuck.nc.Write(encode(out{fin: true, opcode: opBinary, payload: msg})); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- nil
	}()

	other := dial(t, ts.url, nil)
	ctx := testContext(t)
	for i := range 20 {
		msg := fmt.Sprintf("unaffected %d", i)
		require.NoError(t, other.Write(ctx, websocket.MessageText, []byte(msg)))
		_, got, err := other.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, msg, string(got))
	}

	rec := ts.logs.next(t, "websocket closed", stuck.addr())
	assert.EqualValues(t, 1006, rec["close_code"])
	assert.Contains(t, fmt.Sprint(rec["err"]), "i/o timeout")
	select {
	case err := <-sendErr:
		assert.Error(t, err, "the dropped client's writes fail")
	case <-time.After(10 * time.Second):
		t.Fatal("the stuck client's writes still block 10s after it was dropped")
	}
}

// TestVanishedClient: a client that stops answering altogether (no close, no
// pong, no reads) is reaped by KeepAliveTimeout.
func TestVanishedClient(t *testing.T) {
	ts := newTestServer(t, Options{KeepAliveInterval: 50 * time.Millisecond, KeepAliveTimeout: 100 * time.Millisecond})
	c := dialRaw(t, ts.url) // reads nothing from here on
	rec := ts.logs.next(t, "websocket closed", c.addr())
	assert.EqualValues(t, 1006, rec["close_code"])
	assert.ErrorIs(t, rec["err"].(error), errKeepAliveTimeout)
}

// TestConnectAbortCycles: 10 000 connections that handshake and vanish leave no
// goroutine and no file descriptor behind.
func TestConnectAbortCycles(t *testing.T) {
	if testing.Short() {
		t.Skip("10 000 connections: not in -short")
	}
	ts := newTestServer(t, DefaultOptions())
	host := hostOf(t, ts.url)
	handshake := []byte("GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	cycle := func(i int) {
		nc, err := net.Dial("tcp", host)
		require.NoError(t, err)
		defer nc.Close()
		_, err = nc.Write(handshake)
		require.NoError(t, err)
		if i%2 == 0 { // half wait for the 101, half vanish at once
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			require.NoError(t, err)
			require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetLinger(0) // abort: RST, and no TIME_WAIT to exhaust the ports
		}
	}
	for i := range 100 { // warm up pools and the runtime
		cycle(i)
	}
	settled := func() (int, int) {
		runtime.GC()
		return runtime.NumGoroutine(), openFDs(t)
	}
	waitIdle(t, ts.Server)
	g0, fd0 := settled()
	const cycles = 10_000
	for i := range cycles {
		cycle(i)
	}
	waitIdle(t, ts.Server)
	deadline := time.Now().Add(10 * time.Second)
	g1, fd1 := settled()
	for (g1 > g0 || fd1 > fd0) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling the runtime's counters: no event to wait on
		g1, fd1 = settled()
	}
	t.Logf("%d connect/abort cycles: goroutines %d -> %d, file descriptors %d -> %d", cycles, g0, g1, fd0, fd1)
	assert.LessOrEqual(t, g1, g0, "goroutines grew")
	assert.LessOrEqual(t, fd1, fd0, "file descriptors grew")
}

// waitIdle waits until the server tracks no connection.
func waitIdle(t testing.TB, s *Server) { t.Helper(); waitConns(t, s, 0) }

// waitConns waits, up to 10 seconds, until the server tracks want connections.
// It polls: the server has no event for this, and tests should not add one.
func waitConns(t testing.TB, s *Server, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d connections open after 10s, want %d", n, want)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func openFDs(t testing.TB) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd to count file descriptors: %v", err)
	}
	return len(entries)
}

// TestStoppedReaderTLS: over TLS too, a client that floods pings and never
// reads is dropped once the pong write times out. (tls.Conn.CloseWrite would
// wait forever for the write lock that the stuck write holds.)
func TestStoppedReaderTLS(t *testing.T) {
	ts := newTLSTestServer(t, Options{})
	nc, err := tls.Dial("tcp", hostOf(t, ts.url), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	require.NoError(t, err)
	defer nc.Close()
	fmt.Fprintf(nc, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	go func() { // pings with the largest payload, never reading a pong
		ping := encode(out{fin: true, opcode: opPing, payload: make([]byte, 125)})
		for {
			if _, err := nc.Write(ping); err != nil {
				return
			}
		}
	}()
	rec := ts.logs.next(t, "websocket closed", nc.LocalAddr().String())
	assert.EqualValues(t, 1006, rec["close_code"])
}

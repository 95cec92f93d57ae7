package server

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// logSink collects the server's log records so tests can wait on them.
type logSink struct {
	ch chan slog.Record
}

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *logSink) WithGroup(string) slog.Handler            { return s }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	select {
	case s.ch <- r.Clone():
	default: // a test that does not read its logs must not block the server
	}
	return nil
}

// next returns the next record with message msg about the connection from
// remote (any connection when remote is ""), within a deadline.
func (s *logSink) next(t testing.TB, msg, remote string) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-s.ch:
			if r.Message != msg {
				continue
			}
			attrs := map[string]any{}
			r.Attrs(func(a slog.Attr) bool {
				attrs[a.Key] = a.Value.Any()
				return true
			})
			if remote == "" || attrs["remote"] == remote {
				return attrs
			}
		case <-deadline:
			buf := make([]byte, 1<<20)
			t.Fatalf("no %q log record within 10s; goroutines:\n%s", msg, buf[:runtime.Stack(buf, true)])
			return nil
		}
	}
}

type testServer struct {
	*Server
	url  string // ws://host/ws
	http string // http://host/ws
	logs *logSink
}

func newTestServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	return startTestServer(t, opts, (*httptest.Server).Start)
}

// newTLSTestServer is newTestServer over TLS, with httptest's certificate.
func newTLSTestServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	return startTestServer(t, opts, (*httptest.Server).StartTLS)
}

func startTestServer(t testing.TB, opts Options, start func(*httptest.Server)) *testServer {
	t.Helper()
	logs := &logSink{ch: make(chan slog.Record, 1000)}
	opts.Logger = slog.New(logs)
	s, err := New(opts)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/ws", s)
	hs := httptest.NewUnstartedServer(mux)
	hs.Config = s.NewHTTPServer(mux)
	start(hs)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		hs.Close()
	})
	return &testServer{Server: s, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", http: hs.URL + "/ws", logs: logs}
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t testing.TB, url string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.Dial(testContext(t), url, opts)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	c.SetReadLimit(-1)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func TestHandshake(t *testing.T) {
	upgrade := map[string]string{
		"Connection": "Upgrade", "Upgrade": "websocket",
		"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
	}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range upgrade {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	cases := []struct {
		name    string
		method  string
		allowed []string
		header  map[string]string
		want    int
	}{
		{"plain_get_400", "GET", nil, nil, 400},
		{"post_400", "POST", nil, upgrade, 400},
		{"upgrade_to_other_protocol_400", "GET", nil, with(map[string]string{"Upgrade": "h2c"}), 400},
		{"no_connection_upgrade_400", "GET", nil, with(map[string]string{"Connection": "keep-alive"}), 400},
		{"bad_version_400", "GET", nil, with(map[string]string{"Sec-WebSocket-Version": "8"}), 400},
		{"bad_key_400", "GET", nil, with(map[string]string{"Sec-WebSocket-Key": "short"}), 400},
		{"no_origin_101", "GET", nil, upgrade, 101},
		{"connection_token_list_101", "GET", nil, with(map[string]string{"Connection": "keep-alive, Upgrade"}), 101},
		{"same_host_origin_101", "GET", nil, with(map[string]string{"Origin": "http://HOST"}), 101},
		{"other_origin_403", "GET", nil, with(map[string]string{"Origin": "https://evil.example"}), 403},
		{"null_origin_403", "GET", nil, with(map[string]string{"Origin": "null"}), 403},
		{"allowed_exact_host_101", "GET", []string{"example.com"}, with(map[string]string{"Origin": "https://example.com"}), 101},
		{"allowed_exact_host_other_port_403", "GET", []string{"example.com"}, with(map[string]string{"Origin": "https://example.com:8443"}), 403},
		{"allowed_exact_host_subdomain_403", "GET", []string{"example.com"}, with(map[string]string{"Origin": "https://a.example.com"}), 403},
		{"allowed_wildcard_101", "GET", []string{"*.example.com"}, with(map[string]string{"Origin": "https://a.example.com"}), 101},
		{"allowed_wildcard_other_403", "GET", []string{"*.example.com"}, with(map[string]string{"Origin": "https://example.org"}), 403},
		{"allowed_scheme_101", "GET", []string{"https://example.com"}, with(map[string]string{"Origin": "https://example.com"}), 101},
		{"allowed_scheme_wrong_scheme_403", "GET", []string{"https://example.com"}, with(map[string]string{"Origin": "http://example.com"}), 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, Options{AllowedOrigins: tc.allowed})
			req, err := http.NewRequestWithContext(testContext(t), tc.method, ts.http, nil)
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header.Set(k, strings.ReplaceAll(v, "HOST", req.URL.Host))
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

func TestEcho(t *testing.T) {
	ts := newTestServer(t, DefaultOptions())
	c := dial(t, ts.url, nil)
	ctx := testContext(t)
	cases := []struct {
		name string
		typ  websocket.MessageType
		msg  []byte
	}{
		{"text", websocket.MessageText, []byte("hello κόσμε 😀")},
		{"binary", websocket.MessageBinary, []byte{0, 1, 2, 0xFF, 0xFE}},
		{"empty_text", websocket.MessageText, nil},
		{"empty_binary", websocket.MessageBinary, nil},
		{"exactly_buffer", websocket.MessageBinary, pattern(DefaultReceiveBufferSize)},
		{"binary_64KiB", websocket.MessageBinary, pattern(64 << 10)},
		{"text_64KiB", websocket.MessageText, []byte(strings.Repeat("κόσμε 😀 ", 64<<10/17))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, c.Write(ctx, tc.typ, tc.msg))
			typ, got, err := c.Read(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.typ, typ)
			assert.Equal(t, len(tc.msg), len(got))
			assert.True(t, string(tc.msg) == string(got), "echo differs")
		})
	}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestEchoFrames(t *testing.T) {
	ts := newTestServer(t, DefaultOptions())

	t.Run("fits_buffer_one_frame", func(t *testing.T) {
		c := dialRaw(t, ts.url)
		c.write(true, opText, []byte("sixteen bytes!!!"))
		f := c.read()
		assert.Equal(t, frame{fin: true, opcode: opText, payload: []byte("sixteen bytes!!!")}, f)
	})

	t.Run("exactly_buffer_size_one_frame", func(t *testing.T) {
		c := dialRaw(t, ts.url)
		msg := pattern(DefaultReceiveBufferSize)
		c.write(true, opBinary, msg)
		assert.Equal(t, frame{fin: true, opcode: opBinary, payload: msg}, c.read())
	})

	t.Run("buffer_size_in_fragments_one_frame", func(t *testing.T) {
		c := dialRaw(t, ts.url)
		msg := pattern(DefaultReceiveBufferSize)
		c.write(false, opBinary, msg[:1000])
		c.write(true, opContinuation, msg[1000:])
		assert.Equal(t, frame{fin: true, opcode: opBinary, payload: msg}, c.read())
	})

	t.Run("fragmented_reassembled", func(t *testing.T) {
		c := dialRaw(t, ts.url)
		c.write(false, opText, []byte("frag"))
		c.write(false, opContinuation, []byte("men"))
		c.write(true, opContinuation, []byte("ted"))
		assert.Equal(t, frame{fin: true, opcode: opText, payload: []byte("fragmented")}, c.read())
	})

	t.Run("code_point_split_across_fragments", func(t *testing.T) {
		c := dialRaw(t, ts.url)
		smile := []byte("😀")
		c.write(false, opText, smile[:1])
		c.write(false, opContinuation, smile[1:3])
		c.write(true, opContinuation, smile[3:])
		assert.Equal(t, frame{fin: true, opcode: opText, payload: smile}, c.read())
	})

	t.Run("larger_than_buffer_streams_in_buffer_frames", func(t *testing.T) {
		c := dialRaw(t, ts.url)
		msg := pattern(3*DefaultReceiveBufferSize + 100)
		c.write(true, opBinary, msg)
		var got []byte
		var frames []int
		for {
			f := c.read()
			got = append(got, f.payload...)
			frames = append(frames, len(f.payload))
			if f.fin {
				break
			}
		}
		assert.Equal(t, msg, got)
		// coder/websocket's Writer cannot mark a data frame final: Close sends
		// an empty final frame after the last chunk.
		b := DefaultReceiveBufferSize
		assert.Equal(t, []int{b, b, b, 100, 0}, frames)
	})
}

// TestEchoLarge streams a 16 MiB message through the echo and checks that the
// server did not hold it: the whole process allocates far less than 16 MiB.
func TestEchoLarge(t *testing.T) {
	ts := newTestServer(t, DefaultOptions())
	c := dial(t, ts.url, nil)
	ctx := testContext(t)
	const size, chunk = 16 << 20, 64 << 10
	block := pattern(chunk)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	sent := sha256.New()
	errc := make(chan error, 1)
	go func() {
		w, err := c.Writer(ctx, websocket.MessageBinary)
		if err != nil {
			errc <- err
			return
		}
		for range size / chunk {
			sent.Write(block)
			if _, err := w.Write(block); err != nil {
				errc <- err
				return
			}
		}
		errc <- w.Close()
	}()
	typ, r, err := c.Reader(ctx)
	require.NoError(t, err)
	got := sha256.New()
	n, err := io.CopyBuffer(got, r, make([]byte, chunk))
	require.NoError(t, err)
	require.NoError(t, <-errc)
	runtime.ReadMemStats(&after)

	assert.Equal(t, websocket.MessageBinary, typ)
	assert.EqualValues(t, size, n)
	assert.Equal(t, sent.Sum(nil), got.Sum(nil))
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB to echo %d MiB", allocated>>10, size>>20)
	assert.Less(t, allocated, uint64(4<<20), "the echo must not hold the message")
}

func TestInvalidUTF8(t *testing.T) {
	ts := newTestServer(t, DefaultOptions())

	t.Run("whole_message_1007", func(t *testing.T) {
		c := dialRaw(t, ts.url)
		c.write(true, opText, []byte("a\xed\xa0\x80b"))
		code, _ := c.readClose()
		assert.EqualValues(t, 1007, code)
		rec := ts.logs.next(t, "websocket closed", c.addr())
		assert.EqualValues(t, 1007, rec["close_code"])
	})

	t.Run("fails_before_last_fragment_1007", func(t *testing.T) {
		c := dialRaw(t, ts.url)
		c.write(false, opText, []byte("valid κ"))
		c.write(false, opContinuation, []byte("\xf4\x90\x80\x80")) // past U+10FFFF
		// The last fragment is never sent: the close must come without it.
		code, _ := c.readClose()
		assert.EqualValues(t, 1007, code)
	})

	t.Run("binary_is_not_checked", func(t *testing.T) {
		c := dialRaw(t, ts.url)
		c.write(true, opBinary, []byte("\xff\xfe"))
		assert.Equal(t, frame{fin: true, opcode: opBinary, payload: []byte("\xff\xfe")}, c.read())
	})
}

func TestClose(t *testing.T) {
	ts := newTestServer(t, DefaultOptions())
	cases := []struct {
		name   string
		code   uint16
		reason string
	}{
		{"normal_1000", 1000, "Closing from client"},
		{"going_away_1001", 1001, ""},
		{"application_4001", 4001, "bye κόσμε"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, ts.url)
			c.write(true, opText, []byte("x"))
			c.read()
			c.write(true, opClose, closePayload(tc.code, tc.reason))
			code, reason := c.readCloseNoReply() // the server's answer ends the handshake
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.reason, reason)
			// The handler returns and logs the connection, contents left out.
			rec := ts.logs.next(t, "websocket closed", c.addr())
			assert.EqualValues(t, tc.code, rec["close_code"])
			assert.EqualValues(t, 1, rec["msgs_in"])
			assert.EqualValues(t, 1, rec["msgs_out"])
			assert.EqualValues(t, 1, rec["bytes_in"])
			assert.NotContains(t, rec, "reason")
		})
	}
}

func TestKeepAlive(t *testing.T) {
	t.Run("ping_reaches_idle_client", func(t *testing.T) {
		ts := newTestServer(t, Options{KeepAliveInterval: 20 * time.Millisecond})
		pings := make(chan struct{}, 10)
		c := dial(t, ts.url, &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool {
			select {
			case pings <- struct{}{}:
			default:
			}
			return true
		}})
		ctx := c.CloseRead(testContext(t)) // process control frames
		for range 3 {
			select {
			case <-pings:
			case <-ctx.Done():
				t.Fatal("no ping reached the client")
			}
		}
	})

	t.Run("silent_client_dropped_after_timeout", func(t *testing.T) {
		ts := newTestServer(t, Options{KeepAliveInterval: 20 * time.Millisecond, KeepAliveTimeout: 50 * time.Millisecond})
		c := dial(t, ts.url, &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool {
			return false // never answer with a pong
		}})
		_, _, err := c.Read(testContext(t))
		require.Error(t, err)
		rec := ts.logs.next(t, "websocket closed", "") // the only connection
		assert.EqualValues(t, 1006, rec["close_code"])
		assert.ErrorIs(t, rec["err"].(error), errKeepAliveTimeout)
	})

	t.Run("answering_client_stays", func(t *testing.T) {
		ts := newTestServer(t, Options{KeepAliveInterval: 10 * time.Millisecond, KeepAliveTimeout: 2 * time.Second})
		pings := make(chan struct{}, 100)
		c := dial(t, ts.url, &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool {
			pings <- struct{}{}
			return true
		}})
		ctx := testContext(t)
		msgs := make(chan string, 1)
		go func() { // reading answers the pings
			for {
				_, b, err := c.Read(ctx)
				if err != nil {
					close(msgs)
					return
				}
				msgs <- string(b)
			}
		}()
		for range 20 { // 20 answered pings later, the connection still echoes
			select {
			case <-pings:
			case <-ctx.Done():
				t.Fatal("no ping within the test's deadline")
			}
		}
		require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("still echoing")))
		assert.Equal(t, "still echoing", <-msgs)
	})
}

func TestShutdown(t *testing.T) {
	ts := newTestServer(t, DefaultOptions())
	const n = 5
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i] = dial(t, ts.url, nil)
	}
	var wg sync.WaitGroup
	codes := make([]websocket.StatusCode, n)
	for i, c := range conns {
		wg.Go(func() {
			_, _, err := c.Read(testContext(t))
			codes[i] = websocket.CloseStatus(err)
		})
	}
	require.NoError(t, ts.Shutdown(testContext(t)))
	wg.Wait()
	for _, code := range codes {
		assert.Equal(t, websocket.StatusGoingAway, code)
	}

	_, resp, err := websocket.Dial(testContext(t), ts.url, nil)
	require.Error(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

// TestShutdownDeadline pins that Shutdown keeps to its context's deadline with
// a client that never answers the close, although coder/websocket alone would
// wait 5 seconds for it.
func TestShutdownDeadline(t *testing.T) {
	ts := newTestServer(t, DefaultOptions())
	c := dialRaw(t, ts.url)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	shutdown := make(chan error, 1)
	go func() { shutdown <- ts.Shutdown(ctx) }()

	code, _ := c.readCloseNoReply()
	assert.EqualValues(t, 1001, code)
	select {
	case err := <-shutdown:
		require.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(3 * time.Second):
		t.Fatal("Shutdown did not return within 3s of a 100ms deadline")
	}
	_, err := c.tryRead()
	assert.Error(t, err, "the connection is dropped")
	rec := ts.logs.next(t, "websocket closed", c.addr())
	assert.ErrorIs(t, rec["err"].(error), errShutdownTimeout)
}

func TestOptionsValidate(t *testing.T) {
	assert.NoError(t, Options{}.Validate())
	assert.NoError(t, DefaultOptions().Validate())
	cases := map[string]Options{
		"KeepAliveInterval": {KeepAliveInterval: -time.Second},
		"KeepAliveTimeout":  {KeepAliveTimeout: time.Second},
		"ReceiveBufferSize": {ReceiveBufferSize: -1},
		"AllowedOrigins":    {AllowedOrigins: []string{"[bad"}},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			err := o.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
		})
	}
}

package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Server is the echo endpoint. It is an http.Handler meant for one path (/ws);
// it tracks its connections so that Shutdown can close them.
type Server struct {
	opts      Options
	accept    websocket.AcceptOptions
	readLimit int64     // for websocket.Conn.SetReadLimit; -1 for none
	bufs      sync.Pool // *[]byte of ReceiveBufferSize+1 bytes (see echoMessage)

	mu       sync.Mutex
	conns    map[*conn]struct{}
	draining bool // Shutdown has begun
	expired  bool // Shutdown's context has ended
	wg       sync.WaitGroup
}

// New returns a Server for opts, or the error of opts.Validate.
func New(opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	readLimit := opts.MaxMessageSize
	if readLimit == 0 {
		readLimit = -1 // messages of any size stream through the buffer
	}
	s := &Server{
		opts:      opts,
		accept:    websocket.AcceptOptions{OriginPatterns: opts.AllowedOrigins},
		readLimit: readLimit,
		conns:     make(map[*conn]struct{}),
	}
	s.bufs.New = func() any {
		b := make([]byte, opts.ReceiveBufferSize+1)
		return &b
	}
	return s, nil
}

// ServeHTTP answers a WebSocket handshake and starts the echo on a goroutine
// of the connection's own; any other request gets 400, as in the seed.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isHandshake(r) {
		http.Error(w, "400 bad request: this endpoint accepts only WebSocket handshakes", http.StatusBadRequest)
		return
	}
	// Tracked before Accept, which sends the 101: Shutdown then waits for every
	// connection a client may already see as open.
	c := &conn{remote: r.RemoteAddr, start: time.Now(), writeTimeout: s.opts.WriteTimeout}
	if refused := s.track(c); refused != "" {
		http.Error(w, "503 service unavailable: "+refused, http.StatusServiceUnavailable)
		return
	}
	// The 101 is written inside Accept, before net/http clears the
	// connection's deadlines: a client that does not read (its socket buffer
	// filled by pipelined requests) would hold this handler, tracked but out
	// of Shutdown's reach, for ever. A 101 goes into an empty buffer at once.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(closeTimeout))
	hj := &hijackRecorder{ResponseWriter: w}
	ws, err := websocket.Accept(hj, r, &s.accept)
	if err != nil {
		// Accept has written the response (400 for a bad key or version, 403
		// for an origin that is not allowed).
		s.untrack(c)
		s.opts.Logger.Info("websocket refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	ws.SetReadLimit(s.readLimit)
	switch s.opened(c, ws, hj.conn, hj.linger) {
	case shutdownBegun:
		// Shutdown began during the handshake and could not reach this
		// connection: close it as Shutdown closes the others.
		go ws.Close(websocket.StatusGoingAway, goingAwayReason)
	case shutdownExpired:
		c.abort(errShutdownTimeout) // Shutdown's time is up: no close handshake
	}
	s.opts.Logger.Info("websocket opened", "remote", c.remote)

	// The echo runs on a goroutine of its own and this handler returns: the
	// request leaves the HTTP pipeline once upgraded, not when the socket
	// closes as in the seed. Measured with make bench, an idle connection
	// costs about a third less memory so: net/http's serving path grows the
	// handler's stack to 16 KiB, which a goroutine parked that deep never
	// gives back. Tracking, Shutdown and the connection's log do not depend
	// on the handler.
	go s.serve(context.WithoutCancel(r.Context()), c)
}

// serve echoes on an accepted connection until it ends, then logs it.
func (s *Server) serve(ctx context.Context, c *conn) {
	defer s.untrack(c)
	stopKeepAlive := c.keepAlive(s.opts.KeepAliveInterval, s.opts.KeepAliveTimeout)
	// ctx has no Done channel, which spares coder/websocket a timer per read
	// and write; the connection is ended by Close or CloseNow instead.
	err := c.echo(ctx, &s.bufs)
	stopKeepAlive()
	c.ws.CloseNow() // releases the connection whatever ended the loop
	c.log(s.opts.Logger, err)
}

// NewHTTPServer returns an http.Server for h with the options that guard it
// against slow or oversized request headers (ReadHeaderTimeout,
// MaxHeaderBytes). WebSockets are hijacked, so http.Server's read and write
// timeouts would not reach them; the echo has its own (WriteTimeout,
// KeepAliveTimeout).
func (s *Server) NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		MaxHeaderBytes:    s.opts.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelWarn),
	}
}

// isHandshake reports whether r asks for a WebSocket upgrade: an HTTP/1.1 GET
// with Connection: Upgrade and Upgrade: websocket. The version and key are
// left to websocket.Accept, which answers 400 for those too.
func isHandshake(r *http.Request) bool {
	return r.Method == http.MethodGet && r.ProtoAtLeast(1, 1) &&
		hasToken(r.Header, "Connection", "upgrade") && hasToken(r.Header, "Upgrade", "websocket")
}

func hasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// track adds c unless Shutdown has begun or MaxConnections are open, and
// otherwise says why not. Adding under the lock that Shutdown takes to set
// draining means Shutdown waits for every connection it let in.
func (s *Server) track(c *conn) (refused string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return "the server is shutting down"
	}
	if s.opts.MaxConnections > 0 && len(s.conns) >= s.opts.MaxConnections {
		return fmt.Sprintf("the server has its maximum of %d connections open", s.opts.MaxConnections)
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return ""
}

// opened records c's WebSocket and reports whether Shutdown began, or even
// ran out of time, while it was being accepted: Shutdown could not reach it.
func (s *Server) opened(c *conn, ws *websocket.Conn, nc net.Conn, linger *lingerConn) shutdownState {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ws, c.nc, c.linger = ws, nc, linger
	switch {
	case s.expired:
		return shutdownExpired
	case s.draining:
		return shutdownBegun
	}
	return running
}

// shutdownState is where Shutdown stands, as a new connection sees it.
type shutdownState int

const (
	running         shutdownState = iota
	shutdownBegun                 // closing connections with 1001
	shutdownExpired               // its context ended: dropping them
)

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// goingAwayReason is the reason of the 1001 close that Shutdown sends.
const goingAwayReason = "server shutting down"

// Shutdown refuses new WebSockets with 503, closes every open one with 1001 and
// waits until their echo goroutines end or ctx ends. When ctx ends first, the
// connections left are dropped without finishing the close handshake and
// Shutdown returns an error that wraps ctx's.
//
// http.Server.Shutdown does not reach hijacked connections: call both.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	for c := range s.conns {
		if c.ws != nil {
			// Close waits up to 5 seconds for the client's close frame.
			go c.ws.Close(websocket.StatusGoingAway, goingAwayReason)
		}
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.expired = true
	left := len(s.conns)
	for c := range s.conns {
		if c.ws != nil {
			// Not ws.CloseNow: while a Close waits for the client's close
			// frame, coder/websocket's CloseNow waits with it, up to 5 seconds.
			c.abort(errShutdownTimeout)
		}
	}
	s.mu.Unlock()
	<-done
	return fmt.Errorf("shutdown: %d connection(s) did not finish the close handshake in time: %w", left, ctx.Err())
}

// errShutdownTimeout is why a connection ended that had not finished its close
// handshake when Shutdown's context ended.
var errShutdownTimeout = errors.New("shutdown: close handshake not finished in time")

// hijackRecorder keeps the net.Conn that websocket.Accept hijacks, so that a
// connection can be dropped at once whatever the library is waiting on, and
// hands the library a lingerConn over it.
type hijackRecorder struct {
	http.ResponseWriter
	conn   net.Conn
	linger *lingerConn
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn, h.linger = nc, &lingerConn{Conn: nc}
	return h.linger, brw, nil
}

// lingerConn is the connection as coder/websocket sees it. When the server
// fails a connection (see conn.closeFor) its Close, which the library calls
// once the close frame is out, sends FIN and keeps reading what the client
// still sends, for up to closeTimeout, before it closes: closing a socket with
// unread data makes the kernel send RST, which can destroy the close frame
// before the client has read it. After a normal close handshake nothing is
// left unread, and it simply closes. Aborts close the net.Conn under it.
type lingerConn struct {
	net.Conn
	failing atomic.Bool
}

func (l *lingerConn) Close() error {
	if !l.failing.Load() {
		return l.Conn.Close()
	}
	// Only plain TCP: tls.Conn's CloseWrite waits for the TLS write lock, which
	// a write stuck on a client that stopped reading holds forever, while its
	// Close is safe then.
	tc, ok := l.Conn.(*net.TCPConn)
	if !ok || tc.CloseWrite() != nil {
		return l.Conn.Close()
	}
	l.Conn.SetReadDeadline(time.Now().Add(closeTimeout))
	go func() {
		io.Copy(io.Discard, l.Conn)
		l.Conn.Close()
	}()
	return nil
}

// errKeepAliveTimeout is why a connection ended whose pong did not come back.
var errKeepAliveTimeout = errors.New("keepalive timeout: no pong in time")

func (c *conn) log(l *slog.Logger, err error) {
	code := closeCode(err)
	attrs := []any{
		"remote", c.remote,
		"duration", time.Since(c.start).Round(time.Millisecond),
		"msgs_in", c.msgsIn, "bytes_in", c.bytesIn,
		"msgs_out", c.msgsOut, "bytes_out", c.bytesOut,
		"close_code", int(code),
	}
	if cause := c.cause(); cause != nil {
		err = cause
	}
	if code != websocket.CloseStatus(err) { // the server closed, or nobody could
		attrs = append(attrs, "err", err)
	}
	l.Info("websocket closed", attrs...)
}

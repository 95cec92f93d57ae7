package server

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"
)

// Options configures a Server. The names follow ASP.NET Core's WebSocketOptions,
// which the seed's sample app sets.
//
// The zero Options is valid and means: no keepalive pings, no pong or write
// timeout, a 64 KiB receive buffer, no limit on message size or connections, a
// 10-second header timeout, and only same-host browser origins. DefaultOptions
// returns the seed's defaults, which turn keepalive on.
type Options struct {
	// KeepAliveInterval is how often the server pings each connection, so that
	// proxies see traffic and keep an idle connection open. Zero turns pings off.
	KeepAliveInterval time.Duration

	// KeepAliveTimeout, when positive, closes a connection whose pong has not
	// come back within this time after a ping. Zero waits for pongs without a
	// bound. It needs KeepAliveInterval.
	KeepAliveTimeout time.Duration

	// ReceiveBufferSize is the size of the one buffer that each message streams
	// through. A message that fits in it goes back as a single frame. Buffers
	// are pooled and held only while a message is echoed. Zero means
	// DefaultReceiveBufferSize.
	ReceiveBufferSize int

	// WriteTimeout, when positive, drops a connection whose echo (one frame
	// write) does not complete within it: a client that stops reading cannot
	// hold its connection open once its receive window is full. Zero means no
	// timeout.
	WriteTimeout time.Duration

	// MaxConnections, when positive, is how many WebSockets may be open at
	// once; a handshake beyond it gets 503 while the open ones keep echoing.
	// Zero means no limit.
	MaxConnections int

	// ReadHeaderTimeout is how long a client may take to send a request's
	// headers, handshakes included (slowloris). Zero means
	// DefaultReadHeaderTimeout. Used by NewHTTPServer.
	ReadHeaderTimeout time.Duration

	// MaxHeaderBytes caps the size of a request's headers; a request over it
	// gets 431. Zero means http.DefaultMaxHeaderBytes (1 MiB). Used by
	// NewHTTPServer.
	MaxHeaderBytes int

	// MaxMessageSize, when positive, is the largest message in bytes that the
	// server echoes; a larger one closes the connection with 1009 (Message Too
	// Big). Zero means no limit: messages stream through the buffer whatever
	// their size.
	MaxMessageSize int64

	// AllowedOrigins lists the browser origins that may connect besides the
	// page's own host: host patterns ("example.com", "*.example.com") match the
	// Origin's host, and patterns with a scheme ("https://example.com") match
	// scheme and host. Patterns use path.Match syntax. Any other Origin gets
	// 403. Clients that send no Origin header, which are not browsers, are
	// always accepted.
	AllowedOrigins []string

	// Logger receives one line when a connection opens and one when it closes.
	// Nil means slog.Default().
	Logger *slog.Logger
}

// Defaults. The keepalive interval is the seed's sample app's. Its receive
// buffer was 4 KiB; wsecho's is 64 KiB: measured with make bench, a 64 KiB
// message then goes back as one frame and the echo of 64 KiB and 1 MiB
// messages is about three times faster, and since buffers come from a pool
// only while a message is echoed, an idle connection holds none.
const (
	DefaultKeepAliveInterval = 2 * time.Minute
	DefaultReceiveBufferSize = 64 << 10
	DefaultWriteTimeout      = 30 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
)

// DefaultOptions returns the options of the seed's sample app, a ping every two
// minutes, with a 64 KiB receive buffer and a 30-second write timeout so that a
// client that stops reading is dropped.
func DefaultOptions() Options {
	return Options{
		KeepAliveInterval: DefaultKeepAliveInterval,
		ReceiveBufferSize: DefaultReceiveBufferSize,
		WriteTimeout:      DefaultWriteTimeout,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
	}
}

// Validate reports the first option that has no meaning, naming it.
func (o Options) Validate() error {
	var errs []error
	if o.KeepAliveInterval < 0 {
		errs = append(errs, fmt.Errorf("KeepAliveInterval %v: must not be negative", o.KeepAliveInterval))
	}
	if o.KeepAliveTimeout < 0 {
		errs = append(errs, fmt.Errorf("KeepAliveTimeout %v: must not be negative", o.KeepAliveTimeout))
	}
	if o.KeepAliveTimeout > 0 && o.KeepAliveInterval == 0 {
		errs = append(errs, fmt.Errorf("KeepAliveTimeout %v: needs a KeepAliveInterval, since no ping is sent without one", o.KeepAliveTimeout))
	}
	if o.ReceiveBufferSize < 0 {
		errs = append(errs, fmt.Errorf("ReceiveBufferSize %d: must not be negative", o.ReceiveBufferSize))
	}
	if o.WriteTimeout < 0 {
		errs = append(errs, fmt.Errorf("WriteTimeout %v: must not be negative", o.WriteTimeout))
	}
	if o.ReadHeaderTimeout < 0 {
		errs = append(errs, fmt.Errorf("ReadHeaderTimeout %v: must not be negative", o.ReadHeaderTimeout))
	}
	if o.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("MaxConnections %d: must not be negative", o.MaxConnections))
	}
	if o.MaxHeaderBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxHeaderBytes %d: must not be negative", o.MaxHeaderBytes))
	}
	if o.MaxMessageSize < 0 {
		errs = append(errs, fmt.Errorf("MaxMessageSize %d: must not be negative", o.MaxMessageSize))
	}
	for _, p := range o.AllowedOrigins {
		if err := validOriginPattern(p); err != nil {
			errs = append(errs, fmt.Errorf("AllowedOrigins %q: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

func validOriginPattern(p string) error {
	if p == "" {
		return errors.New("empty pattern")
	}
	if strings.Contains(p, "/") && !strings.Contains(p, "://") {
		return errors.New("want a host pattern such as *.example.com, or scheme://host")
	}
	// coder/websocket matches with path.Match; a bad pattern there would only
	// show up as a 403 on the first cross-origin request.
	if _, err := path.Match(p, ""); err != nil {
		return err
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.ReceiveBufferSize == 0 {
		o.ReceiveBufferSize = DefaultReceiveBufferSize
	}
	if o.ReadHeaderTimeout == 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// conn is one accepted WebSocket and what is logged about it when it closes.
type conn struct {
	ws     *websocket.Conn // set once accepted, under Server.mu
	nc     net.Conn        // the hijacked connection under ws
	linger *lingerConn     // ws's view of nc
	remote string
	start  time.Time

	writeTimeout time.Duration

	// Written only by the echo loop, read after it returns.
	msgsIn, msgsOut   int
	bytesIn, bytesOut int64

	mu     sync.Mutex
	timer  *time.Timer // keepalive
	reason error       // why the server ended the connection, when it did
}

func (c *conn) setCause(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reason == nil {
		c.reason = err
	}
}

// abort drops the connection without a close handshake and records why.
func (c *conn) abort(cause error) {
	c.setCause(cause)
	c.nc.Close()
}

func (c *conn) cause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// keepAlive pings every interval. With a positive timeout, a connection that
// has not answered a ping within timeout of the first try is dropped;
// otherwise each ping waits at most one interval. No goroutine waits between
// pings: a timer fires. The returned func stops it.
func (c *conn) keepAlive(interval, timeout time.Duration) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var firstTry time.Time // of the ping not yet answered; timer callbacks run one at a time
	ping := func() {
		if firstTry.IsZero() {
			firstTry = time.Now()
		}
		deadline := firstTry.Add(interval)
		if timeout > 0 {
			deadline = firstTry.Add(timeout)
		}
		pctx, pcancel := context.WithDeadline(ctx, deadline)
		err := c.ws.Ping(pctx)
		pcancel()
		next := interval
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			firstTry = time.Time{}
		case !errors.Is(err, context.DeadlineExceeded):
			return // the connection is gone; the echo loop reports why
		case timeout > 0 && !time.Now().Before(deadline):
			c.abort(errKeepAliveTimeout)
			return
		case timeout > 0:
			// The library gives up on its write lock after 5 seconds, when an
			// echo write to a slow client holds it: the ping did not go out.
			// Try again; the timeout still runs from the first try.
			next = 0
		default:
			firstTry = time.Time{} // no timeout: a missing pong only delays the next ping
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if ctx.Err() == nil {
			c.timer.Reset(next)
		}
	}
	c.mu.Lock()
	c.timer = time.AfterFunc(interval, ping)
	c.mu.Unlock()
	return func() {
		cancel()
		c.mu.Lock()
		defer c.mu.Unlock()
		c.timer.Stop()
	}
}

// setWriteDeadline bounds the echo's next write by WriteTimeout, on the
// net.Conn itself: a context deadline would cost coder/websocket a timer per
// write. clearWriteDeadline lifts it again, so that the library's own writes
// (pongs, pings, close frames) are not cut by a stale deadline.
func (c *conn) setWriteDeadline() {
	if c.writeTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	}
}

func (c *conn) clearWriteDeadline() {
	if c.writeTimeout > 0 {
		c.nc.SetWriteDeadline(time.Time{})
	}
}

// Why the server ended a connection itself.
var (
	errInvalidUTF8 = errors.New("text message is not valid UTF-8")
	errProtocol    = errors.New("protocol violation")
)

// closeTimeout bounds how long the server spends on a connection it fails: the
// close frame must be written within it, and the client's remaining data is
// drained for at most that long (lingerConn).
const closeTimeout = time.Second

// echo sends every message back until the connection ends, closes it as the
// reason it ended asks, and returns that reason: a websocket.CloseError when the
// client closed, an error wrapping errInvalidUTF8, errProtocol or
// websocket.ErrMessageTooBig when the server closed it, or the I/O error that
// ended it.
//
// A buffer from bufs is held only while a message is echoed: an idle
// connection, waiting in Reader, holds none.
func (c *conn) echo(ctx context.Context, bufs *sync.Pool) error {
	var text utf8Stream
	for {
		typ, r, err := c.ws.Reader(ctx)
		if err == nil {
			buf := bufs.Get().(*[]byte)
			text.Reset()
			err = c.echoMessage(ctx, typ, r, *buf, &text)
			bufs.Put(buf)
		}
		if err != nil {
			return c.closeFor(err)
		}
	}
}

// closeFor sends the close frame that err calls for, unless the library has
// already finished the close handshake or the client is gone, and closes.
func (c *conn) closeFor(err error) error {
	var code websocket.StatusCode
	reason := ""
	switch {
	case websocket.CloseStatus(err) != -1:
		return err // the client closed and the library answered with its code
	case errors.Is(err, errInvalidUTF8):
		code, reason = websocket.StatusInvalidFramePayloadData, "invalid UTF-8 in text message"
	case errors.Is(err, websocket.ErrMessageTooBig):
		code = websocket.StatusMessageTooBig // the library has sent this close frame
	case peerGone(err):
		return err
	default:
		// The library detected a protocol violation. It has sent a 1002 close
		// frame for most; not for an unmasked frame or a negative length.
		err = fmt.Errorf("%w: %w", errProtocol, err)
		code, reason = websocket.StatusProtocolError, "protocol error"
	}
	// Fail the connection (RFC 6455, 7.1.7): send the close frame and close,
	// without waiting for the client's answer. After a protocol error the
	// stream is out of step: the library would read the rest of the bad frame
	// as frame headers while it waits. lingerConn drains the answer instead.
	drop := time.AfterFunc(closeTimeout, func() { c.nc.Close() }) // a close frame that cannot be written
	c.linger.failing.Store(true)
	c.nc.SetReadDeadline(time.Now())
	c.ws.Close(code, reason) // writes nothing if the library sent the close frame already
	drop.Stop()
	return err
}

// peerGone reports whether err is the connection failing rather than the
// client breaking the protocol: then no close frame can be delivered.
func peerGone(err error) bool {
	var opErr *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &opErr) ||
		// The library's own write timeouts (5 seconds for a pong or a close
		// frame) and WriteTimeout: a client that does not read.
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

// echoMessage streams one message from r back to the client through buf,
// which holds one byte more than the receive buffer size. A message that fits
// in the receive buffer goes back as one frame with one write; a larger one
// goes back as a frame per full receive buffer. The extra byte tells the two
// apart without waiting for the next frame: a message of exactly the buffer's
// size is still one frame. Text is checked after every read, so invalid UTF-8
// is caught in the frame that carries it, before the message ends.
func (c *conn) echoMessage(ctx context.Context, typ websocket.MessageType, r io.Reader, buf []byte, text *utf8Stream) error {
	size := len(buf) - 1
	var w io.WriteCloser // opened when the message outgrows the buffer
	n := 0
	for {
		m, err := r.Read(buf[n:])
		end := err == io.EOF
		if err != nil && !end {
			return err
		}
		c.bytesIn += int64(m)
		if typ == websocket.MessageText && (!text.Write(buf[n:n+m]) || end && !text.Close()) {
			return errInvalidUTF8
		}
		n += m
		if end {
			break
		}
		if n == len(buf) { // one byte past the buffer: the message is larger
			if w == nil {
				if w, err = c.ws.Writer(ctx, typ); err != nil {
					return err
				}
			}
			c.setWriteDeadline()
			_, err := w.Write(buf[:size])
			c.clearWriteDeadline()
			if err != nil {
				return err
			}
			c.bytesOut += int64(size)
			buf[0] = buf[size]
			n = 1
		}
	}
	c.msgsIn++

	var err error
	c.setWriteDeadline()
	if w == nil {
		err = c.ws.Write(ctx, typ, buf[:n])
	} else {
		if n > 0 {
			_, err = w.Write(buf[:n])
		}
		if err == nil {
			err = w.Close()
		}
	}
	c.clearWriteDeadline()
	if err != nil {
		return err
	}
	c.bytesOut += int64(n)
	c.msgsOut++
	return nil
}

// closeCode is the close code that ended a connection: the client's when it
// closed, the one the server sent when it closed for a reason of its own, and
// 1006 when no close frame was exchanged.
func closeCode(err error) websocket.StatusCode {
	if code := websocket.CloseStatus(err); code != -1 {
		return code
	}
	switch {
	case errors.Is(err, errInvalidUTF8):
		return websocket.StatusInvalidFramePayloadData
	case errors.Is(err, errProtocol):
		return websocket.StatusProtocolError
	case errors.Is(err, websocket.ErrMessageTooBig):
		return websocket.StatusMessageTooBig
	}
	return websocket.StatusAbnormalClosure
}

// Package server is wsecho's WebSocket echo endpoint: every message a client
// sends comes back with its own type, any size, until the client closes.
//
// Use New to make a Server from Options, mount it at /ws, and call Shutdown
// before exiting so that every open WebSocket is closed with 1001.
//
// The endpoint is built on github.com/coder/websocket and fills the gaps that
// matter for a reference echo server:
//   - a request on the endpoint that is not a WebSocket handshake gets 400,
//     as in the ASP.NET Core sample, where the library would answer 426;
//   - text messages are checked as UTF-8 while they stream, and invalid text
//     closes the connection with 1007 at once, even in the middle of a
//     fragmented message;
//   - the library's 32 KiB read limit is lifted: each message streams through
//     one buffer of ReceiveBufferSize bytes, so its size does not change the
//     server's memory;
//   - a message that fits in the buffer goes back as one frame;
//   - keepalive pings, an optional pong timeout, and a graceful shutdown that
//     reaches hijacked connections, which http.Server.Shutdown does not.
//
// # Close codes
//
// When the client closes, the library itself answers with the client's code and
// reason, and the connection's goroutine ends.
//
// # The HTTP handler returns at the upgrade
//
// Unlike the seed's middleware, ServeHTTP returns once the connection is
// upgraded and the echo runs on a goroutine of its own: a goroutine parked deep
// in net/http's serving path keeps a 16 KiB stack, which made an idle
// connection cost a third more memory. Shutdown and the connection's log
// lines track the connection itself.
package server

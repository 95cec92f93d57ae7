package e2e

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// wireFrame is a WebSocket frame as the browser reports it on the DevTools
// protocol: what really went over the wire.
type wireFrame struct {
	Opcode  int
	Payload string
}

// frameLog subscribes, before anything is triggered, to the frames the tab
// sends and receives, so none is missed. Chromium reports data frames only:
// the close handshake does not show up here (TestSeedFlow/connect_again pins
// that the frame after a close is the next message).
type frameLog struct {
	sent, received func(t *testing.T, n int) []wireFrame
}

func watchFrames(t *testing.T, tb *tab) frameLog {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	t.Cleanup(cancel)
	return frameLog{
		sent: take(t, ctx, network.WebSocketFrameSent, func(e network.EventWebSocketFrameSent) *network.WebSocketFrame {
			return e.Response
		}),
		received: take(t, ctx, network.WebSocketFrameReceived, func(e network.EventWebSocketFrameReceived) *network.WebSocketFrame {
			return e.Response
		}),
	}
}

// take subscribes to ev and returns a func that waits for the next n frames.
func take[E any](t *testing.T, ctx context.Context, ev cdp.Event[E], frame func(E) *network.WebSocketFrame) func(*testing.T, int) []wireFrame {
	next, stop := iter.Pull2(chromedp.Events(ctx, ev))
	t.Cleanup(stop)
	return func(t *testing.T, n int) []wireFrame {
		t.Helper()
		var out []wireFrame
		for len(out) < n {
			e, err, ok := next()
			require.True(t, ok, "the frame events ended after %d of %d frames", len(out), n)
			require.NoError(t, err, "after %d of %d frames", len(out), n)
			f := frame(e)
			out = append(out, wireFrame{Opcode: int(f.Opcode), Payload: string(f.PayloadData)})
		}
		return out
	}
}

package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	whenClosed = map[string]bool{"connectionUrl": true, "connectButton": true, "sendMessage": false, "sendButton": false, "closeButton": false}
	whenOpen   = map[string]bool{"connectionUrl": false, "connectButton": false, "sendMessage": true, "sendButton": true, "closeButton": true}
)

// TestSeedFlow runs the seed's flow: connect, send, close, and connect again.
func TestSeedFlow(t *testing.T) {
	tb := newTab(t)
	tb.open(t)
	wsURL := "ws" + strings.TrimPrefix(siteURL, "http") + "/ws"
	url, err := chromedp.Run(tb.ctx, chromedp.Value(chromedp.ID("connectionUrl")))
	require.NoError(t, err)
	assert.Equal(t, wsURL, url, "the URL field is pre-filled with the page's host")
	assert.Equal(t, whenClosed, tb.enabled(t))

	frames := watchFrames(t, tb)
	const msg = "hello κόσμε 😀"

	t.Run("connect", func(t *testing.T) {
		tb.openSocket(t)
		rows := tb.waitRows(t, 1)
		assert.Equal(t, "Connection opened", rows[0].Data)
		assert.Equal(t, "event", rows[0].Kind)
		assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{3}$`, rows[0].Time)
		assert.Equal(t, whenOpen, tb.enabled(t))
	})

	t.Run("send_and_echo", func(t *testing.T) {
		tb.send(t, msg)
		rows := tb.waitRows(t, 3)
		assert.Equal(t, logRow{Kind: "sent", Time: rows[1].Time, From: "Client", To: "Server", Data: msg}, rows[1])
		assert.Equal(t, logRow{Kind: "received", Time: rows[2].Time, From: "Server", To: "Client", Data: msg, RTT: rows[2].RTT}, rows[2])
		assert.Regexp(t, `^\d+\.\d ms$`, rows[2].RTT, "the echo shows its round-trip time")

		// The log matches the wire, message for message.
		assert.Equal(t, []wireFrame{{Opcode: 1, Payload: msg}}, frames.sent(t, 1))
		assert.Equal(t, []wireFrame{{Opcode: 1, Payload: msg}}, frames.received(t, 1))
	})

	t.Run("close", func(t *testing.T) {
		tb.do(t, chromedp.Click(chromedp.ID("closeButton")))
		tb.waitStatus(t, "Closed")
		rows := tb.waitRows(t, 4)
		assert.Equal(t, "Connection closed. Code: 1000. Reason: Closing from client", rows[3].Data)
		assert.Equal(t, whenClosed, tb.enabled(t))
	})

	t.Run("connect_again", func(t *testing.T) {
		tb.openSocket(t)
		tb.send(t, "again")
		rows := tb.waitRows(t, 7)
		assert.Equal(t, []string{"Connection opened", "again", "again"}, []string{rows[4].Data, rows[5].Data, rows[6].Data})
		assert.Equal(t, []wireFrame{{Opcode: 1, Payload: "again"}}, frames.sent(t, 1))
		assert.Equal(t, []wireFrame{{Opcode: 1, Payload: "again"}}, frames.received(t, 1))
	})

	if path := os.Getenv("WSECHO_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, png, 0o644))
		t.Logf("screenshot of the page: %s", path)
	}
}

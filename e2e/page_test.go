package e2e

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsecho/wsecho/server"
	"github.com/wsecho/wsecho/web"
)

func TestRefusedHandshake(t *testing.T) {
	tb := newTab(t)
	tb.open(t)
	url := "ws" + strings.TrimPrefix(siteURL, "http") + "/wrong-path"
	tb.connect(t, url)
	rows := tb.waitRows(t, 2)
	assert.Equal(t, logRow{Kind: "error", Time: rows[0].Time, Data: "Error: the WebSocket to " + url + " failed; the browser console says why"}, rows[0])
	assert.Equal(t, "Connection closed. Code: 1006. Reason: ", rows[1].Data)
	tb.waitStatus(t, "Closed")
	assert.Equal(t, whenClosed, tb.enabled(t), "the user can fix the URL and connect again")
}

func TestInvalidURL(t *testing.T) {
	tb := newTab(t)
	tb.open(t)
	// Chromium resolves a relative URL against the page, so only a URL with
	// another scheme (or a fragment) makes the WebSocket constructor throw.
	tb.connect(t, "ftp://example.com/ws")
	rows := tb.waitRows(t, 1)
	assert.Equal(t, "error", rows[0].Kind)
	assert.Contains(t, rows[0].Data, "Error: SyntaxError: ", "the browser's exception, as an error row")
	assert.Contains(t, rows[0].Data, "ftp", "the message names what is wrong")
	tb.waitStatus(t, "Ready to connect...")
	assert.Equal(t, whenClosed, tb.enabled(t))
}

func TestEnterSends(t *testing.T) {
	tb := newTab(t)
	tb.open(t)
	tb.openSocket(t)
	tb.do(t,
		chromedp.SetValue(chromedp.ID("sendMessage"), "sent with Enter"),
		chromedp.Focus(chromedp.ID("sendMessage")),
		chromedp.KeyEvent("\r"),
	)
	rows := tb.waitRows(t, 3)
	assert.Equal(t, []string{"sent", "received"}, []string{rows[1].Kind, rows[2].Kind})
	assert.Equal(t, "sent with Enter", rows[2].Data)
}

// TestLogIsText pins that logged values are shown as text: markup in a message
// is neither parsed nor run.
func TestLogIsText(t *testing.T) {
	tb := newTab(t)
	tb.open(t)
	tb.openSocket(t)
	const markup = `<img src=x onerror="document.title='injected'"><b>bold</b> &amp;`
	tb.send(t, markup)
	rows := tb.waitRows(t, 3)
	assert.Equal(t, markup, rows[1].Data)
	assert.Equal(t, markup, rows[2].Data)
	elements, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#commsLog img, #commsLog b").length`))
	require.NoError(t, err)
	assert.Zero(t, elements)
	title, err := chromedp.Run(tb.ctx, chromedp.Title())
	require.NoError(t, err)
	assert.NotEqual(t, "injected", title)
}

// TestClientMissing pins what a user sees when the wasm cannot load: the
// reason, and controls that stay disabled.
func TestClientMissing(t *testing.T) {
	site := web.Handler(http.NotFoundHandler())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/main.wasm" {
			http.NotFound(w, r)
			return
		}
		site.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)

	tb := newTab(t)
	tb.do(t, chromedp.Navigate(ts.URL+"/"))
	tb.waitFor(t, `document.getElementById("stateLabel").dataset.state === "failed"`)
	status, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.ID("stateLabel")))
	require.NoError(t, err)
	assert.Equal(t, "Could not load the client: main.wasm: HTTP 404 Not Found (build it with make wasm)", status)
	assert.Equal(t, map[string]bool{"connectionUrl": false, "connectButton": false, "sendMessage": false, "sendButton": false, "closeButton": false}, tb.enabled(t))
}

// TestServerShutdown shows the server's 1001 in the page when it shuts down.
func TestServerShutdown(t *testing.T) {
	echo, err := server.New(server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	ts := httptest.NewServer(web.Handler(echo))
	t.Cleanup(ts.Close)

	tb := newTab(t)
	tb.do(t, chromedp.Navigate(ts.URL+"/"))
	tb.waitStatus(t, "Ready to connect...")
	tb.openSocket(t)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, echo.Shutdown(ctx), "the page answers the close handshake")
	rows := tb.waitRows(t, 2)
	assert.Equal(t, "Connection closed. Code: 1001. Reason: server shutting down", rows[1].Data)
	tb.waitStatus(t, "Closed")
}

// TestHTTPSPage: a page served over https pre-fills wss:// and echoes over it.
func TestHTTPSPage(t *testing.T) {
	echo, err := server.New(server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	ts := httptest.NewTLSServer(web.Handler(echo))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { echo.Shutdown(context.Background()) })

	tb := newTab(t)
	tb.do(t, chromedp.Navigate(ts.URL+"/"))
	tb.waitStatus(t, "Ready to connect...")
	url, err := chromedp.Run(tb.ctx, chromedp.Value(chromedp.ID("connectionUrl")))
	require.NoError(t, err)
	assert.Equal(t, "wss://"+strings.TrimPrefix(ts.URL, "https://")+"/ws", url)

	tb.openSocket(t)
	tb.send(t, "over wss")
	rows := tb.waitRows(t, 3)
	assert.Equal(t, "over wss", rows[2].Data)
	assert.Equal(t, "received", rows[2].Kind)
}

// TestSendWhileServerCloses: once the server has sent its close frame the
// socket is CLOSING, with no event for the page until TCP closes; a Send then
// must not log a message the browser drops, and the page shows the state.
func TestSendWhileServerCloses(t *testing.T) {
	sendClose := make(chan struct{})
	answered := make(chan struct{}) // the browser answered the close: it is CLOSING
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	page := web.Handler(http.NotFoundHandler())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			page.ServeHTTP(w, r)
			return
		}
		// A server that closes the WebSocket but not the TCP connection.
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer nc.Close()
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: %s\r\n\r\n", base64.StdEncoding.EncodeToString(sum[:]))
		brw.Flush()
		select {
		case <-sendClose:
		case <-done:
			return
		}
		nc.Write([]byte{0x88, 0x02, 0x03, 0xE8}) // close, 1000
		var hdr [2]byte
		if _, err := io.ReadFull(brw, hdr[:]); err == nil && hdr[0]&0x0F == 0x8 {
			close(answered)
		}
		<-done
	}))
	t.Cleanup(ts.Close)

	tb := newTab(t)
	tb.do(t, chromedp.Navigate(ts.URL+"/"))
	tb.waitStatus(t, "Ready to connect...")
	// Keep a handle on the page's socket, to see when the renderer itself
	// knows it is CLOSING: Chromium's network process answers the close,
	// and the renderer learns of it a moment later.
	tb.do(t, chromedp.Evaluate[chromedp.Void](`window.WebSocket = class extends WebSocket {
		constructor(...args) { super(...args); window.pageSocket = this; }
	}`))
	tb.openSocket(t)
	tb.do(t, chromedp.SetValue(chromedp.ID("sendMessage"), "into the void"))
	close(sendClose)
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("the browser did not answer the close within 10s")
	}
	// Chromium waits about 2 seconds for the server's TCP close, then closes
	// the socket itself: click and look in one round trip to the page, two
	// animation frames after the click so that a logged row would show.
	got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[struct {
		Before, Status string
		Rows           int
		Enabled        map[string]bool
	}](`(async () => {
		for (const end = performance.now() + 1000; window.pageSocket.readyState === WebSocket.OPEN && performance.now() < end;) {
			await new Promise((r) => setTimeout(r, 1)); // in the page, bounded: no DevTools round trip
		}
		const before = document.getElementById("stateLabel").textContent;
		document.getElementById("sendButton").click();
		await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
		return {
			Before: before,
			Status: document.getElementById("stateLabel").textContent,
			Rows: document.querySelectorAll("#commsLog tr").length,
			Enabled: Object.fromEntries(["connectionUrl", "connectButton", "sendMessage", "sendButton", "closeButton"]
				.map((id) => [id, !document.getElementById(id).disabled])),
		};
	})()`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	if got.Status == "Closed" {
		t.Skip("Chromium closed the socket before the click could reach the CLOSING window")
	}
	assert.Equal(t, "Open", got.Before, "no event told the page of the CLOSING state")
	assert.Equal(t, "Closing...", got.Status)
	assert.Equal(t, 1, got.Rows, "only the opening is logged")
	assert.Equal(t, map[string]bool{"connectionUrl": false, "connectButton": false, "sendMessage": false, "sendButton": false, "closeButton": false}, got.Enabled)
}

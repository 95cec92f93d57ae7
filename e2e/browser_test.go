package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wsecho/wsecho/server"
	"github.com/wsecho/wsecho/web"
)

var (
	browserCtx context.Context // one Chromium for the test binary
	siteURL    string          // the real server: page at /, echo at /ws
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if !web.HasClient() {
		fmt.Fprintln(os.Stderr, "e2e: web/static/main.wasm is missing: run make wasm (make test does)")
		return 1
	}
	chrome, err := findChrome()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}

	echo, err := server.New(server.Options{
		KeepAliveInterval: server.DefaultKeepAliveInterval,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	site := httptest.NewServer(web.Handler(echo))
	defer site.Close()
	defer echo.Shutdown(context.Background())
	siteURL = site.URL

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.DisableGPU,
		chromedp.WindowSize(1000, 700),
		// The https tests use httptest's certificate, on loopback only.
		chromedp.IgnoreCertErrors,
		// This machine's network is closed: keep Chromium from trying.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
	)
	if os.Getenv("WSECHO_HEADED") != "" {
		opts = append(opts, chromedp.Flag("headless", false))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		fmt.Fprintf(os.Stderr, "e2e: starting %s: %v\n", chrome, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: %s started in %v\n", chrome, time.Since(start).Round(time.Millisecond))
	browserCtx = ctx
	return m.Run()
}

// findChrome returns WSECHO_CHROME, or the first Chromium on PATH.
func findChrome() (string, error) {
	if p := os.Getenv("WSECHO_CHROME"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found: set WSECHO_CHROME or install one (make tools installs Debian's chromium)")
}

// tab is one test's browser tab, with the console messages it collected.
type tab struct {
	ctx     context.Context
	mu      sync.Mutex
	console []string
}

// newTab opens a fresh tab. It is closed at the end of the test; if the test
// failed, its screenshot, log and console are saved first.
func newTab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	tb := &tab{ctx: ctx}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, fmt.Sprintf("%s: %s", m.Type, m))
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			tb.saveArtifacts(t)
		}
		cancelTimeout()
		cancel()
		<-done
	})
	return tb
}

// saveArtifacts writes a screenshot, the page's log and the console to
// e2e/artifacts and prints the log and console into the test output.
func (tb *tab) saveArtifacts(t *testing.T) {
	dir, err := filepath.Abs("artifacts")
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Logf("artifacts: %v", err)
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		p := filepath.Join(dir, name+".png")
		if err := os.WriteFile(p, png, 0o644); err == nil {
			t.Logf("screenshot: %s", p)
		}
	}
	var b strings.Builder
	status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("stateLabel").textContent`))
	fmt.Fprintf(&b, "status: %s\npage log:\n", status)
	rows, _ := chromedp.Run(ctx, chromedp.Evaluate[[]logRow](logRowsJS))
	for _, r := range rows {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	tb.mu.Lock()
	fmt.Fprintf(&b, "console:\n  %s\n", strings.Join(tb.console, "\n  "))
	tb.mu.Unlock()
	p := filepath.Join(dir, name+".txt")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err == nil {
		t.Logf("page log and console: %s\n%s", p, b.String())
	}
}

// logRow is one row of the page's Communication Log.
type logRow struct {
	Kind string `json:"kind"`
	Time string `json:"time"`
	From string `json:"from"`
	To   string `json:"to"`
	Data string `json:"data"`
	RTT  string `json:"rtt"`
}

func (r logRow) String() string {
	return fmt.Sprintf("%s %-8s %s→%s %q %s", r.Time, r.Kind, r.From, r.To, r.Data, r.RTT)
}

const logRowsJS = `[...document.querySelectorAll("#commsLog tr")].map(tr => ({
	kind: tr.className,
	time: tr.querySelector(".time").textContent,
	from: tr.querySelector(".from")?.textContent ?? "",
	to: tr.querySelector(".to")?.textContent ?? "",
	data: tr.querySelector(".data").textContent,
	rtt: tr.querySelector(".rtt").textContent,
}))`

// do runs actions in the tab.
func (tb *tab) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(tb.ctx, actions...))
}

// waitFor waits until the JavaScript expression is true, up to 10 seconds.
func (tb *tab) waitFor(t *testing.T, expr string) {
	t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "waiting for %s", expr)
}

// waitStatus waits until the status line says status.
func (tb *tab) waitStatus(t *testing.T, status string) {
	t.Helper()
	tb.waitFor(t, fmt.Sprintf(`document.getElementById("stateLabel").textContent === %q`, status))
}

// waitRows waits until the log has n rows and returns them.
func (tb *tab) waitRows(t *testing.T, n int) []logRow {
	t.Helper()
	tb.waitFor(t, fmt.Sprintf(`document.querySelectorAll("#commsLog tr").length >= %d`, n))
	rows, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]logRow](logRowsJS))
	require.NoError(t, err)
	return rows
}

// enabled returns which of the page's controls are enabled, by id.
func (tb *tab) enabled(t *testing.T) map[string]bool {
	t.Helper()
	got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[map[string]bool](`Object.fromEntries(
		["connectionUrl", "connectButton", "sendMessage", "sendButton", "closeButton"]
			.map(id => [id, !document.getElementById(id).disabled]))`))
	require.NoError(t, err)
	return got
}

// open loads the page and waits until the client is ready.
func (tb *tab) open(t *testing.T) {
	t.Helper()
	tb.do(t, chromedp.Navigate(siteURL+"/"))
	tb.waitStatus(t, "Ready to connect...")
}

// connect points the URL field at url and clicks Connect.
func (tb *tab) connect(t *testing.T, url string) {
	t.Helper()
	tb.do(t,
		chromedp.SetValue(chromedp.ID("connectionUrl"), url),
		chromedp.Click(chromedp.ID("connectButton")),
	)
}

// openSocket clicks Connect and waits until the socket is open.
func (tb *tab) openSocket(t *testing.T) {
	t.Helper()
	tb.do(t, chromedp.Click(chromedp.ID("connectButton")))
	tb.waitStatus(t, "Open")
}

// send types msg into the message field and clicks Send.
func (tb *tab) send(t *testing.T, msg string) {
	t.Helper()
	tb.do(t,
		chromedp.SetValue(chromedp.ID("sendMessage"), msg),
		chromedp.Click(chromedp.ID("sendButton")),
	)
}

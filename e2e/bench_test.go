package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/wsecho/wsecho/web"
)

//go:embed testdata/plain.html
var plainPage []byte

// browserFigures is what BenchmarkBrowser measures, written as JSON to
// $WSECHO_BENCH_JSON for make bench's report.
type browserFigures struct {
	RoundTrips  []roundTrips `json:"round_trips"`
	WasmRaw     int64        `json:"wasm_bytes_raw"`
	WasmServed  int64        `json:"wasm_bytes_served"`
	ReadyMs     float64      `json:"page_ready_ms"`
	PlainMs     float64      `json:"plain_js_page_ready_ms"`
	ReadyRatio  float64      `json:"page_ready_ratio_to_plain_js"`
	Chrome      string       `json:"browser"`
	RoundsTaken int          `json:"rounds"`
}

type roundTrips struct {
	Size     int     `json:"size"`
	GoPerS   float64 `json:"go_wasm_per_s"`
	JSPerS   float64 `json:"plain_js_per_s"`
	GoVsJS   float64 `json:"ratio_go_to_js"`
	Messages int     `json:"messages_per_round"`
}

// BenchmarkBrowser measures the page in headless Chromium: round trips per
// second through the Go-wasm client against a plain-JS loop in the same page
// (interleaved over rounds, medians), the wasm's size raw and as the browser
// received it, and the milliseconds from navigation until Connect is usable,
// against a plain-JS page, each in a fresh browser context (cold cache).
func BenchmarkBrowser(b *testing.B) {
	const rounds = 5
	mux := http.NewServeMux()
	site := web.Handler(http.NotFoundHandler())
	mux.HandleFunc("/plain.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(plainPage)
	})
	mux.Handle("/", site)
	baseline := httptest.NewServer(mux) // the pages only; the echo is siteURL's
	b.Cleanup(baseline.Close)

	var fig browserFigures
	fig.RoundsTaken = rounds
	for b.Loop() {
		tab := newBenchTab(b, nil)
		require.NoError(b, chromedp.Do(tab, chromedp.Navigate(siteURL+"/")))
		waitReady(b, tab)
		wsURL := "ws" + strings.TrimPrefix(siteURL, "http") + "/ws"
		fig.RoundTrips = nil
		for _, size := range []int{16, 64 << 10} {
			count := 2000
			if size > 1024 {
				count = 300
			}
			var goMs, jsMs []float64
			for range rounds {
				var r struct{ Go, JS float64 }
				js := fmt.Sprintf(`(async () => {
					const url = %q, size = %d, count = %d;
					const plain = () => new Promise((resolve, reject) => {
						const ws = new WebSocket(url), msg = "x".repeat(size);
						let n = 0, t0;
						ws.onopen = () => { t0 = performance.now(); ws.send(msg); };
						ws.onmessage = (e) => {
							if (e.data.length !== size) { reject("an echo of the wrong size"); return; }
							if (++n === count) { resolve(performance.now() - t0); ws.close(1000); return; }
							ws.send(e.data);
						};
						ws.onerror = () => reject("the WebSocket failed");
					});
					const js = await plain();
					const go = await wsechoBench(url, size, count);
					return {Go: go, JS: js};
				})()`, wsURL, size, count)
				r, err := chromedp.Run(tab, chromedp.Evaluate[struct{ Go, JS float64 }](js, chromedp.EvalAwaitPromise))
				require.NoError(b, err)
				goMs, jsMs = append(goMs, r.Go), append(jsMs, r.JS)
			}
			rt := roundTrips{Size: size, Messages: count,
				GoPerS: float64(count) / median(goMs) * 1000, JSPerS: float64(count) / median(jsMs) * 1000}
			rt.GoVsJS = rt.GoPerS / rt.JSPerS
			fig.RoundTrips = append(fig.RoundTrips, rt)
			b.ReportMetric(rt.GoVsJS, fmt.Sprintf("go/js-%dB", size))
		}

		size, err := chromedp.Run(tab, chromedp.Evaluate[struct{ Raw, Served int64 }](`(() => {
			const e = performance.getEntriesByType("resource").find(e => e.name.endsWith("/main.wasm"));
			return {Raw: e.decodedBodySize, Served: e.encodedBodySize};
		})()`))
		require.NoError(b, err)
		fig.WasmRaw, fig.WasmServed = size.Raw, size.Served

		var ready, plain []float64
		for range rounds {
			ready = append(ready, pageReady(b, baseline.URL+"/", "wsechoReady"))
			plain = append(plain, pageReady(b, baseline.URL+"/plain.html", "plainReady"))
		}
		fig.ReadyMs, fig.PlainMs = median(ready), median(plain)
		fig.ReadyRatio = fig.ReadyMs / fig.PlainMs
		b.ReportMetric(fig.ReadyMs, "ready-ms")
		b.ReportMetric(float64(fig.WasmServed), "wasm-served-B")
		fig.Chrome, _ = chromedp.Run(tab, chromedp.Evaluate[string](`navigator.userAgent`))
	}
	if path := os.Getenv("WSECHO_BENCH_JSON"); path != "" {
		out, _ := json.MarshalIndent(fig, "", "  ")
		require.NoError(b, os.WriteFile(path, out, 0o644))
	}
}

// newBenchTab opens a tab, in a browser context of its own when opts ask.
func newBenchTab(b *testing.B, opts []chromedp.ContextOption) context.Context {
	ctx, cancel := chromedp.NewContext(browserCtx, opts...)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	b.Cleanup(func() { cancelTimeout(); cancel() })
	return ctx
}

func waitReady(b *testing.B, tab context.Context) {
	_, err := chromedp.Run(tab, chromedp.Poll[bool](`document.getElementById("stateLabel").textContent === "Ready to connect..."`,
		chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(b, err)
}

// pageReady loads url in a fresh browser context (an empty cache) and returns
// the page's own record of when it became usable, in ms since navigation.
func pageReady(b *testing.B, url, mark string) float64 {
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	defer cancelTimeout()
	require.NoError(b, chromedp.Do(ctx, chromedp.Navigate(url)))
	ms, err := chromedp.Run(ctx, chromedp.Poll[float64](`window.`+mark, chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(b, err)
	return ms
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

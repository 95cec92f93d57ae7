package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHandler(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	h := Handler(echo)
	cases := []struct {
		name, method, path string
		want               int
		ctype              string
	}{
		{"page", "GET", "/", 200, "text/html; charset=utf-8"},
		{"page_head", "HEAD", "/", 200, "text/html; charset=utf-8"},
		{"style", "GET", "/style.css", 200, "text/css; charset=utf-8"},
		{"loader", "GET", "/app.js", 200, "text/javascript; charset=utf-8"},
		{"echo_endpoint", "GET", "/ws", 299, ""},
		{"unknown_404", "GET", "/nope", 404, ""},
		{"under_ws_404", "GET", "/ws/x", 404, ""},
		{"post_405", "POST", "/", 405, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, h, tc.method, tc.path, nil)
			assert.Equal(t, tc.want, resp.StatusCode)
			if tc.ctype != "" {
				assert.Equal(t, tc.ctype, resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestAssetsRevalidate(t *testing.T) {
	h := Handler(http.NotFoundHandler())
	resp := get(t, h, "GET", "/", nil)
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	body, _ := io.ReadAll(resp.Body)
	assert.True(t, strings.Contains(string(body), `id="commsLog"`))

	resp = get(t, h, "GET", "/", map[string]string{"If-None-Match": etag})
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
}

// TestPageBeforeClient pins what the page shows before the wasm runs: that it
// is loading, with every control disabled.
func TestPageBeforeClient(t *testing.T) {
	body, err := io.ReadAll(get(t, Handler(http.NotFoundHandler()), "GET", "/", nil).Body)
	require.NoError(t, err)
	page := string(body)
	assert.Contains(t, page, `<p id="stateLabel" role="status" data-state="loading">Loading the client...</p>`)
	for _, id := range []string{"connectionUrl", "connectButton", "sendMessage", "sendButton", "closeButton"} {
		assert.Regexp(t, `id="`+id+`"[^>]* disabled>`, page, "#%s starts disabled", id)
	}
}

// TestClient needs `make wasm`; `make test` builds the client first.
func TestClient(t *testing.T) {
	require.True(t, HasClient(), "static/main.wasm is missing: run make wasm")
	h := Handler(http.NotFoundHandler())
	resp := get(t, h, "GET", "/main.wasm", nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	resp = get(t, h, "GET", "/wasm_exec.js", nil)
	assert.Equal(t, 200, resp.StatusCode)
}

func TestAccepts(t *testing.T) {
	cases := []struct {
		header, coding string
		want           bool
	}{
		{"gzip, deflate, br, zstd", "br", true},
		{"gzip, deflate", "br", false},
		{"", "gzip", false},
		{"br;q=0, gzip", "br", false},
		{"br; q=0.5", "br", true},
		{"BR", "br", true},
		{"*", "br", true},
		{"*;q=0, gzip", "br", false},
		{"*, br;q=0", "br", false},
		{"br;q=0.000", "br", false},
		{"br;Q=0", "br", false},
		{"br;level=5;q=0", "br", false},
		{"br;level=5", "br", true},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, accepts(tc.header, tc.coding), "%q accepts %s", tc.header, tc.coding)
	}
}

// TestEncodings needs `make wasm`, which precompresses the assets.
func TestEncodings(t *testing.T) {
	h := Handler(http.NotFoundHandler())
	raw, err := static.ReadFile("static/" + ClientFile)
	require.NoError(t, err, "run make wasm")
	decode := map[string]func(io.Reader) (io.Reader, error){
		"br":   func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
		"gzip": func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		"":     func(r io.Reader) (io.Reader, error) { return r, nil },
	}
	cases := []struct{ accept, want string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"", ""},
		{"identity", ""},
	}
	etags := map[string]string{}
	for _, tc := range cases {
		resp := get(t, h, "GET", "/"+ClientFile, map[string]string{"Accept-Encoding": tc.accept})
		require.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, tc.want, resp.Header.Get("Content-Encoding"), "Accept-Encoding %q", tc.accept)
		assert.Equal(t, "Accept-Encoding", resp.Header.Get("Vary"))
		assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
		r, err := decode[tc.want](resp.Body)
		require.NoError(t, err)
		body, err := io.ReadAll(r)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(raw, body), "the %q body decodes to the client", tc.want)
		etags[tc.want] = resp.Header.Get("ETag")
	}
	assert.Len(t, etags, 3, "one ETag per encoding: %v", etags)
	resp := get(t, h, "GET", "/"+ClientFile, map[string]string{"Accept-Encoding": "br", "If-None-Match": etags["br"]})
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
}

// TestCompressedCopiesCurrent: every precompressed copy decodes to its asset
// as embedded now, so a copy left from an older build cannot be served (make
// wasm rewrites them when an asset changes).
func TestCompressedCopiesCurrent(t *testing.T) {
	assets := loadAssets()
	copies := 0
	for name, a := range assets {
		raw := a.encodings[len(a.encodings)-1].body
		for _, e := range a.encodings[:len(a.encodings)-1] {
			var r io.Reader = bytes.NewReader(e.body)
			switch e.coding {
			case "br":
				r = brotli.NewReader(r)
			case "gzip":
				zr, err := gzip.NewReader(r)
				require.NoError(t, err)
				r = zr
			}
			got, err := io.ReadAll(r)
			require.NoError(t, err, "%s (%s)", name, e.coding)
			assert.True(t, bytes.Equal(raw, got), "%s: the %s copy is stale: run make wasm", name, e.coding)
			copies++
		}
	}
	require.NotZero(t, copies, "no precompressed copies: run make wasm")
}

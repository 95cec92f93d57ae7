package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

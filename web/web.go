package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// ClientFile is the name of the Go-wasm client among the assets.
const ClientFile = "main.wasm"

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	etag        string
	contentType string
}

// Handler serves the page at /, its assets by name and echo at /ws. Anything
// else gets 404; a method other than GET or HEAD on an asset gets 405.
//
// Assets are revalidated on every load (Cache-Control: no-cache) against a
// strong ETag of their content, so a new binary is never hidden behind a stale
// cache and an unchanged asset costs a 304.
func Handler(echo http.Handler) http.Handler {
	assets := loadAssets()
	mux := http.NewServeMux()
	mux.Handle("/ws", echo)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "index.html"
		}
		a, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
	return mux
}

// HasClient reports whether the Go-wasm client was built into this binary.
func HasClient() bool {
	_, err := fs.Stat(static, "static/"+ClientFile)
	return err == nil
}

func loadAssets() map[string]asset {
	assets := map[string]asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		assets[strings.TrimPrefix(p, "static/")] = asset{
			body:        body,
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`,
			contentType: ctype,
		}
		return nil
	})
	if err != nil {
		panic("web: reading the embedded assets: " + err.Error()) // embed.FS cannot fail here
	}
	return assets
}

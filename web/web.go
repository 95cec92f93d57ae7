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
	"strconv"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// ClientFile is the name of the Go-wasm client among the assets.
const ClientFile = "main.wasm"

// asset is one embedded file, ready to serve, with its precompressed copies.
type asset struct {
	contentType string
	encodings   []encoded // best first; the last is the file as it is
}

// encoded is an asset's bytes in one content encoding ("" for none).
type encoded struct {
	coding string
	body   []byte
	etag   string
}

// codings are the content encodings that `make wasm` precompresses to, by
// their file suffixes, best first.
var codings = []struct{ coding, suffix string }{{"br", ".br"}, {"gzip", ".gz"}}

// Handler serves the page at /, its assets by name and echo at /ws. Anything
// else gets 404; a method other than GET or HEAD on an asset gets 405.
//
// Assets go out brotli- or gzip-compressed when the request accepts it and
// `make wasm` precompressed them (the wasm client: 2 MB, 0.46 MB as brotli).
// They are revalidated on every load (Cache-Control: no-cache) against a
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
		e := a.pick(r.Header.Get("Accept-Encoding"))
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		if e.coding != "" {
			h.Set("Content-Encoding", e.coding)
		}
		if len(a.encodings) > 1 {
			h.Set("Vary", "Accept-Encoding")
		}
		h.Set("ETag", e.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(e.body))
	})
	return mux
}

// HasClient reports whether the Go-wasm client was built into this binary.
func HasClient() bool {
	_, err := fs.Stat(static, "static/"+ClientFile)
	return err == nil
}

// pick returns the best encoding of a that the Accept-Encoding header allows.
func (a asset) pick(acceptEncoding string) encoded {
	for _, e := range a.encodings[:len(a.encodings)-1] {
		if accepts(acceptEncoding, e.coding) {
			return e
		}
	}
	return a.encodings[len(a.encodings)-1]
}

// accepts reports whether an Accept-Encoding header allows coding: listed, or
// covered by *, with a q-value other than 0.
func accepts(header, coding string) bool {
	allowed := false
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, coding) && name != "*" {
			continue
		}
		ok := true
		for param := range strings.SplitSeq(params, ";") {
			key, v, _ := strings.Cut(param, "=")
			if strings.EqualFold(strings.TrimSpace(key), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				ok = err == nil && q > 0
			}
		}
		if name != "*" {
			return ok // an explicit entry wins over *
		}
		allowed = ok
	}
	return allowed
}

func loadAssets() map[string]asset {
	files := map[string][]byte{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		files[strings.TrimPrefix(p, "static/")] = body
		return err
	})
	if err != nil {
		panic("web: reading the embedded assets: " + err.Error()) // embed.FS cannot fail here
	}
	assets := map[string]asset{}
	for name, body := range files {
		if isCopy(name) {
			continue
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a := asset{contentType: ctype}
		for _, c := range codings {
			if b, ok := files[name+c.suffix]; ok {
				a.encodings = append(a.encodings, encoded{coding: c.coding, body: b, etag: etag(b, c.coding)})
			}
		}
		a.encodings = append(a.encodings, encoded{body: body, etag: etag(body, "")})
		assets[name] = a
	}
	return assets
}

// isCopy reports whether name is a precompressed copy of another asset.
func isCopy(name string) bool {
	for _, c := range codings {
		if strings.HasSuffix(name, c.suffix) {
			return true
		}
	}
	return false
}

// etag is a strong ETag of body, distinct for each encoding.
func etag(body []byte, coding string) string {
	sum := sha256.Sum256(body)
	tag := base64.RawURLEncoding.EncodeToString(sum[:16])
	if coding != "" {
		tag += "-" + coding
	}
	return `"` + tag + `"`
}

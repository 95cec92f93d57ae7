// Command precompress writes brotli (.br) and gzip (.gz) copies of web assets
// at build time, so that the server sends them compressed at no cost per
// request: web.Handler picks one by the request's Accept-Encoding.
//
// Usage: go run ./internal/precompress FILE...
//
// A copy that would not be smaller than its file is not written (and an old
// one is removed), so the server then sends the file as it is.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: precompress FILE...")
		os.Exit(2)
	}
	for _, name := range os.Args[1:] {
		if err := compress(name); err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			os.Exit(1)
		}
	}
}

func compress(name string) error {
	raw, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	encoders := []struct {
		ext string
		new func(io.Writer) io.WriteCloser
	}{
		{".br", func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, brotli.BestCompression) }},
		{".gz", func(w io.Writer) io.WriteCloser {
			zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
			return zw
		}},
	}
	for _, enc := range encoders {
		var buf bytes.Buffer
		w := enc.new(&buf)
		if _, err := w.Write(raw); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out := name + enc.ext
		if buf.Len() >= len(raw) {
			if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
				return err
			}
			continue
		}
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %d bytes, %s %d (%.0f%%)\n", name, len(raw), enc.ext, buf.Len(), 100*float64(buf.Len())/float64(len(raw)))
	}
	return nil
}

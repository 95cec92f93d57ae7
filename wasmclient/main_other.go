//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main exists so that the host's tools (go vet, go test) build this package; the
// client itself only runs in a browser.
func main() {
	fmt.Fprintln(os.Stderr, "wasmclient runs in a browser: build it with GOOS=js GOARCH=wasm (make wasm)")
	os.Exit(2)
}

// Package web is wsecho's page and its assets, embedded in the binary: the
// markup and styles of the seed's page, the loader (app.js), and the Go-wasm
// client built from wasmclient/ together with the wasm_exec.js of the same
// toolchain.
//
// Use Handler to serve the site, with the echo endpoint at /ws.
//
// # Generated files
//
// static/main.wasm and static/wasm_exec.js are built by `make wasm` and ignored
// by git. Without them the page loads but says that its client is missing.
package web

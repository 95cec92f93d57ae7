// Command wasmclient is the logic of wsecho's page, compiled to WebAssembly
// (GOOS=js GOARCH=wasm) and loaded by web/static/app.js.
//
// It drives the browser's own WebSocket, as the seed's page script does:
// Connect opens one, Send sends the message field's text, Close Socket closes
// it with 1000 and "Closing from client", and the Communication Log gets a row
// for each event, with its time and, for each echo, the round-trip time.
//
// The state machine and the log rows are plain Go (state.go, log.go) and are
// tested natively. Every syscall/js call sits in js_js.go, a small typed layer
// that turns JavaScript exceptions into errors; page_js.go wires the two.
//
// It does not use coder/websocket's js Dial: that pulls in net/http and more
// than doubles the size of the wasm.
package main

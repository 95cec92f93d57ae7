package main

import (
	"errors"
	"syscall/js"
)

// This file is the only one that calls syscall/js. Its types turn JavaScript
// exceptions into errors, and every listener it adds comes with a remove func
// that also releases the js.Func.

// catch turns a JavaScript exception thrown by a call into *err.
func catch(err *error) {
	r := recover()
	if r == nil {
		return
	}
	jsErr, ok := r.(js.Error)
	if !ok {
		panic(r)
	}
	*err = errors.New(jsErr.Get("name").String() + ": " + jsErr.Get("message").String())
}

// listen adds fn as a listener for event on target.
func listen(target js.Value, event string, fn func(ev js.Value)) (remove func()) {
	f := js.FuncOf(func(this js.Value, args []js.Value) any {
		fn(args[0])
		return nil
	})
	target.Call("addEventListener", event, f)
	return func() {
		target.Call("removeEventListener", event, f)
		f.Release()
	}
}

// element is a DOM element of the page.
type element struct{ v js.Value }

var document = js.Global().Get("document")

// byID returns the element with id, or an error naming it.
func byID(id string) (element, error) {
	v := document.Call("getElementById", id)
	if v.IsNull() {
		return element{}, errors.New("the page has no element #" + id)
	}
	return element{v}, nil
}

func newElement(tag string) element { return element{document.Call("createElement", tag)} }

// newFragment returns a DocumentFragment, to add many elements in one append.
func newFragment() element { return element{document.Call("createDocumentFragment")} }

// animationFrames returns a func that asks the browser to call fn before its
// next repaint: once, however often it is asked before then. Its js.Func lives
// as long as the page.
func animationFrames(fn func()) (request func()) {
	raf := js.Global().Get("requestAnimationFrame")
	pending := false
	f := js.FuncOf(func(js.Value, []js.Value) any {
		pending = false
		fn()
		return nil
	})
	return func() {
		if !pending {
			pending = true
			raf.Invoke(f)
		}
	}
}

// setText sets the element's text. Text is never parsed as HTML.
func (e element) setText(s string)           { e.v.Set("textContent", s) }
func (e element) setDisabled(b bool)         { e.v.Set("disabled", b) }
func (e element) setAttr(name, value string) { e.v.Call("setAttribute", name, value) }
func (e element) value() string              { return e.v.Get("value").String() }
func (e element) setValue(s string)          { e.v.Set("value", s) }
func (e element) append(child element)       { e.v.Call("append", child.v) }
func (e element) on(event string, fn func(ev js.Value)) (remove func()) {
	return listen(e.v, event, fn)
}

// scrollIntoView keeps the newest log row in sight.
func (e element) scrollIntoView() {
	e.v.Call("scrollIntoView", js.ValueOf(map[string]any{"block": "nearest"}))
}

var (
	performance = js.Global().Get("performance")
	date        = js.Global().Get("Date")
	// tzOffset is local time minus UTC in milliseconds, read once: a log row
	// made across a daylight-saving change shows the old offset until reload.
	tzOffset = -date.New().Call("getTimezoneOffset").Float() * 60_000
)

// now reads the browser's clocks.
func now() Instant {
	return Instant{
		Mono:  performance.Call("now").Float(),
		Local: date.Call("now").Float() + tzOffset,
	}
}

// location is the page's location.protocol and location.host.
func location() (protocol, host string) {
	l := js.Global().Get("location")
	return l.Get("protocol").String(), l.Get("host").String()
}

// socket is a browser WebSocket.
type socket struct {
	v       js.Value
	removes []func()
}

// dial opens a WebSocket to url. A URL the browser refuses (another scheme than
// ws, wss, http or https, or a fragment) gives an error, a SyntaxError; a server
// that refuses the handshake shows later, as an error event and a close with
// code 1006.
func dial(url string) (s *socket, err error) {
	defer catch(&err)
	v := js.Global().Get("WebSocket").New(url)
	v.Set("binaryType", "arraybuffer")
	return &socket{v: v}, nil
}

func (s *socket) readyState() int { return s.v.Get("readyState").Int() }

// url is the URL the browser resolved from the one given to dial: a relative
// URL is resolved against the page, and http(s) becomes ws(s).
func (s *socket) url() string { return s.v.Get("url").String() }

// send sends a text message.
func (s *socket) send(text string) (err error) {
	defer catch(&err)
	s.v.Call("send", text)
	return nil
}

// close starts the closing handshake. A page may only use 1000 or 3000-4999.
func (s *socket) close(code int, reason string) (err error) {
	defer catch(&err)
	s.v.Call("close", code, reason)
	return nil
}

func (s *socket) on(event string, fn func(ev js.Value)) {
	s.removes = append(s.removes, listen(s.v, event, fn))
}

func (s *socket) onOpen(fn func())  { s.on("open", func(js.Value) { fn() }) }
func (s *socket) onError(fn func()) { s.on("error", func(js.Value) { fn() }) }

// onMessage calls text or binary with each message's data.
func (s *socket) onMessage(text func(string), binary func([]byte)) {
	uint8Array := js.Global().Get("Uint8Array")
	s.on("message", func(ev js.Value) {
		data := ev.Get("data")
		if data.Type() == js.TypeString {
			text(data.String())
			return
		}
		view := uint8Array.New(data)
		b := make([]byte, view.Length())
		js.CopyBytesToGo(b, view)
		binary(b)
	})
}

// onClose calls fn with the close event's code and reason.
func (s *socket) onClose(fn func(code int, reason string)) {
	s.on("close", func(ev js.Value) { fn(ev.Get("code").Int(), ev.Get("reason").String()) })
}

// release removes the socket's listeners and frees their js.Funcs.
func (s *socket) release() {
	for _, remove := range s.removes {
		remove()
	}
	s.removes = nil
}

package main

import "syscall/js"

func main() {
	p, err := newPage()
	if err != nil {
		// app.js shows the exit; the console says why.
		js.Global().Get("console").Call("error", "wsecho: "+err.Error())
		return
	}
	p.start()
	exposeBench()
	// When the page became usable, in milliseconds since navigation: make
	// bench reads it.
	js.Global().Set("wsechoReady", performance.Call("now"))
	select {} // the page's callbacks do the rest
}

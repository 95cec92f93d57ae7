package main

import (
	"strings"
	"syscall/js"
)

// exposeBench installs window.wsechoBench(url, size, count). It echoes count
// text messages of size bytes through the client's own WebSocket layer (the
// socket type the page uses), sending each when the previous echo arrives,
// and returns a Promise of the milliseconds that took. make bench compares it
// with a plain-JS loop in the same page; anyone can call it from the console
// to see what their browser does.
func exposeBench() {
	js.Global().Set("wsechoBench", js.FuncOf(func(_ js.Value, args []js.Value) any {
		const usage = "usage: wsechoBench(url string, size >= 0, count >= 1)"
		if len(args) != 3 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeNumber || args[2].Type() != js.TypeNumber {
			return js.Global().Get("Promise").Call("reject", usage)
		}
		url, size, count := args[0].String(), args[1].Int(), args[2].Int()
		if size < 0 || count < 1 {
			return js.Global().Get("Promise").Call("reject", usage)
		}
		return newPromise(func(resolve, reject0 func(any)) {
			s, err := dial(url)
			if err != nil {
				reject0(err.Error())
				return
			}
			reject := func(why any) { // a rejected run leaves no socket open
				reject0(why)
				s.close(1000, "")
			}
			msg := strings.Repeat("x", size)
			var start float64
			echoed := 0
			s.onOpen(func() {
				start = now().Mono
				if err := s.send(msg); err != nil {
					reject(err.Error())
				}
			})
			s.onMessage(func(text string) {
				if len(text) != size {
					reject("an echo of the wrong size")
					return
				}
				if echoed++; echoed == count {
					resolve(now().Mono - start)
					s.close(1000, "")
					return
				}
				if err := s.send(text); err != nil {
					reject(err.Error())
				}
			}, func([]byte) { reject("a binary echo") })
			s.onError(func() { reject("the WebSocket failed") })
			s.onClose(func(int, string) { s.release() })
		})
	}))
}

// newPromise returns a JavaScript Promise that run settles.
func newPromise(run func(resolve, reject func(any))) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		executor.Release()
		resolve, reject := args[0], args[1]
		run(func(v any) { resolve.Invoke(v) }, func(v any) { reject.Invoke(v) })
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}

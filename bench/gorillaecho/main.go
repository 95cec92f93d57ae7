// Command gorillaecho is a plain streaming echo on gorilla/websocket, as its
// examples write one: each message is copied from NextReader to NextWriter.
// wsbench runs it twice: with gorilla's default 4 KiB buffers, and with 64 KiB
// buffers like wsecho's default, so that buffer size is not all a ratio shows.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/gorilla/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "host:port to listen on")
	buffer := flag.Int("buffer", 4096, "read and write buffer size; 4096 is gorilla's default, and its examples'")
	flag.Parse()
	upgrader := websocket.Upgrader{ReadBufferSize: *buffer, WriteBufferSize: *buffer}
	http.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, rd, err := c.NextReader()
			if err != nil {
				return
			}
			wr, err := c.NextWriter(typ)
			if err != nil {
				return
			}
			if _, err := io.Copy(wr, rd); err != nil {
				return
			}
			if err := wr.Close(); err != nil {
				return
			}
		}
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("serving addr=%s", ln.Addr())
	log.Fatal(http.Serve(ln, nil))
}

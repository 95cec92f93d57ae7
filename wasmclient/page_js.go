package main

import "syscall/js"

// closeCode and closeReason are what Close Socket sends, as on the seed's page.
const (
	closeCode   = 1000
	closeReason = "Closing from client"
)

// page is the seed's page: its controls, its log and at most one socket.
type page struct {
	status, url, connect, message, send, close, log element

	sock    *socket
	pending Pending

	// Rows wait here for the next animation frame: the DOM work stays off the
	// path from a send to its echo, and a burst of messages costs one layout.
	queued      []Row
	renderFrame func()
}

// newPage finds the page's elements by the seed's ids.
func newPage() (*page, error) {
	p := &page{}
	for _, e := range []struct {
		el *element
		id string
	}{
		{&p.status, "stateLabel"}, {&p.url, "connectionUrl"}, {&p.connect, "connectButton"},
		{&p.message, "sendMessage"}, {&p.send, "sendButton"}, {&p.close, "closeButton"},
		{&p.log, "commsLog"},
	} {
		el, err := byID(e.id)
		if err != nil {
			return nil, err
		}
		*e.el = el
	}
	return p, nil
}

// start wires the controls and shows the page as ready. Its listeners live as
// long as the page, so they are never removed.
func (p *page) start() {
	p.renderFrame = animationFrames(p.render)
	p.url.setValue(DefaultURL(location()))
	p.connect.on("click", func(js.Value) { p.dial() })
	p.send.on("click", func(js.Value) { p.sendMessage() })
	p.close.on("click", func(js.Value) { p.closeSocket() })
	p.message.on("keydown", func(ev js.Value) {
		if ev.Get("key").String() == "Enter" && p.state() == Open {
			ev.Call("preventDefault")
			p.sendMessage()
		}
	})
	p.show(Ready)
}

func (p *page) state() State {
	if p.sock == nil {
		return Ready
	}
	return FromReadyState(p.sock.readyState())
}

// show puts s in the status line and enables the controls it allows.
func (p *page) show(s State) {
	p.status.setText(s.String())
	p.status.setAttr("data-state", s.String())
	c := s.Controls()
	p.url.setDisabled(!c.URL)
	p.connect.setDisabled(!c.Connect)
	p.message.setDisabled(!c.Message)
	p.send.setDisabled(!c.Send)
	p.close.setDisabled(!c.Close)
}

func (p *page) dial() {
	s, err := dial(p.url.value())
	if err != nil {
		p.append(ErrorRow(now(), err.Error()))
		return
	}
	p.sock = s
	p.pending.Reset()
	// Events of a socket that is no longer the page's change nothing. Connect
	// is enabled only once a socket has closed, but an error event enables
	// it before the close event comes.
	current := func() bool { return p.sock == s }
	s.onOpen(func() {
		if current() {
			p.show(Open)
			p.append(OpenedRow(now()))
		}
	})
	s.onMessage(func(text string) {
		if current() {
			p.received(text)
		}
	}, func(b []byte) {
		if current() {
			p.received(BinaryText(b))
		}
	})
	s.onError(func() {
		if current() {
			// The browser tells a page nothing more: the reason is in its
			// console, and the close code that follows says what happened
			// (1006: no close handshake).
			p.append(ErrorRow(now(), "the WebSocket to "+s.url()+" failed; the browser console says why"))
			p.show(p.state())
		}
	})
	s.onClose(func(code int, reason string) {
		s.release()
		if current() {
			p.show(Closed)
			p.append(ClosedRow(now(), code, reason))
		}
	})
	p.show(Connecting)
}

func (p *page) received(data string) {
	now := now()
	p.append(ReceivedRow(now, data, p.pending.Echoed(now)))
}

func (p *page) sendMessage() {
	// A close the server starts turns the socket to CLOSING with no event: the
	// browser would drop the message without a word.
	if st := p.state(); st != Open {
		p.show(st)
		return
	}
	data := p.message.value()
	if err := p.sock.send(data); err != nil {
		p.append(ErrorRow(now(), err.Error()))
		return
	}
	now := now()
	p.pending.Sent(now)
	p.append(SentRow(now, data))
}

func (p *page) closeSocket() {
	if err := p.sock.close(closeCode, closeReason); err != nil {
		p.append(ErrorRow(now(), err.Error()))
	}
	p.show(p.state())
}

// append adds r to the log at the next animation frame.
func (p *page) append(r Row) {
	p.queued = append(p.queued, r)
	p.renderFrame()
}

// render adds the queued rows to the log, as text, never as HTML.
func (p *page) render() {
	frag := newFragment()
	var tr element
	for _, r := range p.queued {
		tr = newElement("tr")
		tr.setAttr("class", string(r.Kind))
		cell := func(class, text string) element {
			td := newElement("td")
			td.setAttr("class", class)
			td.setText(text)
			tr.append(td)
			return td
		}
		cell("time", r.TimeText())
		if r.From == "" {
			cell("data", r.Data).setAttr("colspan", "3")
		} else {
			cell("from", r.From)
			cell("to", r.To)
			cell("data", r.Data)
		}
		cell("rtt", r.RTTText())
		frag.append(tr)
	}
	p.queued = p.queued[:0]
	p.log.append(frag)
	tr.scrollIntoView()
}

package main

// State is the page's connection state, shown in the status line.
type State int

// The states, in the order a connection goes through them. Ready is the state
// before the first connection.
const (
	Ready State = iota
	Connecting
	Open
	Closing
	Closed
)

// String returns the status line's text, as on the seed's page.
func (s State) String() string {
	switch s {
	case Ready:
		return "Ready to connect..."
	case Connecting:
		return "Connecting..."
	case Open:
		return "Open"
	case Closing:
		return "Closing..."
	case Closed:
		return "Closed"
	}
	return "Unknown WebSocket state"
}

// FromReadyState maps a browser WebSocket's readyState to a State.
func FromReadyState(readyState int) State {
	switch readyState {
	case 0:
		return Connecting
	case 1:
		return Open
	case 2:
		return Closing
	}
	return Closed
}

// Controls says which of the page's controls are enabled.
type Controls struct {
	URL, Connect         bool // the URL field and Connect
	Message, Send, Close bool // the message field, Send and Close Socket
}

// Controls returns the controls enabled in state s: the URL and Connect while
// no socket is open or opening, the message, Send and Close Socket while it is
// open, and nothing while it changes state.
func (s State) Controls() Controls {
	switch s {
	case Ready, Closed:
		return Controls{URL: true, Connect: true}
	case Open:
		return Controls{Message: true, Send: true, Close: true}
	}
	return Controls{}
}

// DefaultURL is the URL field's first value: the page's own host at /ws, with
// wss when the page came over https. protocol is location.protocol ("https:").
func DefaultURL(protocol, host string) string {
	scheme := "ws://"
	if protocol == "https:" {
		scheme = "wss://"
	}
	return scheme + host + "/ws"
}

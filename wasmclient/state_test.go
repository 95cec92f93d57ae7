package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestStateText(t *testing.T) {
	want := map[State]string{
		Ready: "Ready to connect...", Connecting: "Connecting...", Open: "Open",
		Closing: "Closing...", Closed: "Closed",
	}
	for s, text := range want {
		assert.Equal(t, text, s.String())
	}
}

func TestStateControls(t *testing.T) {
	cases := []struct {
		state State
		want  Controls
	}{
		{Ready, Controls{URL: true, Connect: true}},
		{Connecting, Controls{}},
		{Open, Controls{Message: true, Send: true, Close: true}},
		{Closing, Controls{}},
		{Closed, Controls{URL: true, Connect: true}},
	}
	for _, tc := range cases {
		t.Run(tc.state.String(), func(t *testing.T) {
			assert.Equal(t, tc.want, tc.state.Controls())
		})
	}
}

func TestFromReadyState(t *testing.T) {
	assert.Equal(t, []State{Connecting, Open, Closing, Closed},
		[]State{FromReadyState(0), FromReadyState(1), FromReadyState(2), FromReadyState(3)})
}

func TestDefaultURL(t *testing.T) {
	assert.Equal(t, "ws://localhost:5000/ws", DefaultURL("http:", "localhost:5000"))
	assert.Equal(t, "wss://example.com/ws", DefaultURL("https:", "example.com"))
}

func TestRows(t *testing.T) {
	at := time.Date(2026, 11, 24, 13, 4, 5, 678_000_000, time.UTC)
	cases := []struct {
		name string
		row  Row
		want Row
	}{
		{"opened", OpenedRow(at), Row{Time: at, Kind: KindEvent, Data: "Connection opened"}},
		{"closed", ClosedRow(at, 1000, "Closing from client"),
			Row{Time: at, Kind: KindEvent, Data: "Connection closed. Code: 1000. Reason: Closing from client"}},
		{"sent", SentRow(at, "<b>hi</b>"), Row{Time: at, Kind: KindSent, From: "Client", To: "Server", Data: "<b>hi</b>"}},
		{"received", ReceivedRow(at, "x", 1500*time.Microsecond),
			Row{Time: at, Kind: KindReceived, From: "Server", To: "Client", Data: "x", RTT: 1500 * time.Microsecond}},
		{"error", ErrorRow(at, "boom"), Row{Time: at, Kind: KindError, Data: "Error: boom"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.row)
		})
	}
	assert.Equal(t, "13:04:05.678", OpenedRow(at).TimeText())
	assert.Equal(t, "1.5 ms", ReceivedRow(at, "", 1500*time.Microsecond).RTTText())
	assert.Equal(t, "", SentRow(at, "").RTTText())
}

func TestBinaryText(t *testing.T) {
	assert.Equal(t, "[binary, 0 bytes]", BinaryText(nil))
	assert.Equal(t, "[binary, 3 bytes] 00 7f ff", BinaryText([]byte{0, 0x7f, 0xff}))
	long := BinaryText(make([]byte, 100))
	assert.Contains(t, long, "[binary, 100 bytes]")
	assert.Equal(t, len("[binary, 100 bytes]")+maxBinaryShown*3+len(" …"), len(long))
}

func TestPending(t *testing.T) {
	var p Pending
	t0 := time.Unix(0, 0)
	assert.Zero(t, p.Echoed(t0), "an echo nobody waits for")
	p.Sent(t0)
	p.Sent(t0.Add(time.Millisecond))
	assert.Equal(t, 5*time.Millisecond, p.Echoed(t0.Add(5*time.Millisecond)))
	assert.Equal(t, 6*time.Millisecond, p.Echoed(t0.Add(7*time.Millisecond)))
	p.Sent(t0)
	p.Reset()
	assert.Zero(t, p.Echoed(t0))
}

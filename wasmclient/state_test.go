package main

import (
	"testing"

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
	at := Instant{Mono: 1234.5, Local: ((13*60+4)*60+5)*1000 + 678}
	cases := []struct {
		name string
		row  Row
		want Row
	}{
		{"opened", OpenedRow(at), Row{At: at, Kind: KindEvent, Data: "Connection opened"}},
		{"closed", ClosedRow(at, 1000, "Closing from client"),
			Row{At: at, Kind: KindEvent, Data: "Connection closed. Code: 1000. Reason: Closing from client"}},
		{"sent", SentRow(at, "<b>hi</b>"), Row{At: at, Kind: KindSent, From: "Client", To: "Server", Data: "<b>hi</b>"}},
		{"received", ReceivedRow(at, "x", 1.5),
			Row{At: at, Kind: KindReceived, From: "Server", To: "Client", Data: "x", RTT: 1.5}},
		{"error", ErrorRow(at, "boom"), Row{At: at, Kind: KindError, Data: "Error: boom"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.row)
		})
	}
	assert.Equal(t, "13:04:05.678", OpenedRow(at).TimeText())
	assert.Equal(t, "1.5 ms", ReceivedRow(at, "", 1.5).RTTText())
	assert.Equal(t, "", SentRow(at, "").RTTText())
	assert.Equal(t, "0.1 ms", ReceivedRow(at, "", 0.05).RTTText(), "rounded")
	assert.Equal(t, "12.0 ms", ReceivedRow(at, "", 11.96).RTTText())
	assert.Equal(t, "00:00:00.007", OpenedRow(Instant{Local: 7.4}).TimeText())
	assert.Equal(t, "00:00:01.000", OpenedRow(Instant{Local: 24*3600*1000 + 1000}).TimeText(), "past midnight wraps")
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
	at := func(ms float64) Instant { return Instant{Mono: ms} }
	assert.Zero(t, p.Echoed(at(0)), "an echo nobody waits for")
	p.Sent(at(100))
	p.Sent(at(101))
	assert.Equal(t, 5.0, p.Echoed(at(105)))
	assert.Equal(t, 6.0, p.Echoed(at(107)))
	p.Sent(at(100))
	p.Reset()
	assert.Zero(t, p.Echoed(at(200)))
}

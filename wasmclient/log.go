package main

import (
	"strconv"
	"strings"
)

// The client stays off fmt and time: with them its wasm was 0.7 MB larger
// (measured: fmt 0.5 MB, time 0.24 MB for time.Now alone). Times come from the
// browser's clocks in milliseconds instead.

// Instant is a moment as the browser's clocks tell it, in milliseconds: Mono
// from performance.now(), for durations, and Local since local midnight, for
// display.
type Instant struct {
	Mono, Local float64
}

// Kind says what a log row records; the page styles rows by it.
type Kind string

// The kinds of log row.
const (
	KindEvent    Kind = "event"    // the connection opened or closed
	KindError    Kind = "error"    // something failed
	KindSent     Kind = "sent"     // Client → Server
	KindReceived Kind = "received" // Server → Client
)

// Row is one row of the Communication Log. From and To are empty for events
// and errors, which span those columns as on the seed's page.
type Row struct {
	At       Instant
	Kind     Kind
	From, To string
	Data     string
	RTT      float64 // round-trip time of an echo in milliseconds; 0 when unknown
}

// OpenedRow records that the connection opened.
func OpenedRow(at Instant) Row {
	return Row{At: at, Kind: KindEvent, Data: "Connection opened"}
}

// ClosedRow records the close, with the code and reason the browser reports.
func ClosedRow(at Instant, code int, reason string) Row {
	return Row{At: at, Kind: KindEvent, Data: "Connection closed. Code: " + strconv.Itoa(code) + ". Reason: " + reason}
}

// ErrorRow records a failure.
func ErrorRow(at Instant, msg string) Row {
	return Row{At: at, Kind: KindError, Data: "Error: " + msg}
}

// SentRow records a message the page sent.
func SentRow(at Instant, data string) Row {
	return Row{At: at, Kind: KindSent, From: "Client", To: "Server", Data: data}
}

// ReceivedRow records a message from the server and its round-trip time.
func ReceivedRow(at Instant, data string, rtt float64) Row {
	return Row{At: at, Kind: KindReceived, From: "Server", To: "Client", Data: data, RTT: rtt}
}

// TimeText is the row's local time of day, to the millisecond: 15:04:05.000.
func (r Row) TimeText() string {
	ms := int(r.At.Local) % (24 * 3600 * 1000)
	b := make([]byte, 0, 12)
	b = appendPadded(b, ms/3600_000, 2)
	b = append(b, ':')
	b = appendPadded(b, ms/60_000%60, 2)
	b = append(b, ':')
	b = appendPadded(b, ms/1000%60, 2)
	b = append(b, '.')
	b = appendPadded(b, ms%1000, 3)
	return string(b)
}

// RTTText is the round-trip time in milliseconds to a tenth, or "" when there
// is none.
func (r Row) RTTText() string {
	if r.RTT <= 0 {
		return ""
	}
	tenths := int(r.RTT*10 + 0.5)
	return strconv.Itoa(tenths/10) + "." + strconv.Itoa(tenths%10) + " ms"
}

// appendPadded appends n in decimal with leading zeros to width digits.
func appendPadded(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// maxBinaryShown caps how many bytes of a binary message the log shows.
const maxBinaryShown = 64

// BinaryText shows a binary message as its size and its first bytes in hex.
func BinaryText(b []byte) string {
	const hex = "0123456789abcdef"
	var sb strings.Builder
	sb.WriteString("[binary, " + strconv.Itoa(len(b)) + " bytes]")
	for i, c := range b {
		if i == maxBinaryShown {
			sb.WriteString(" …")
			break
		}
		sb.Write([]byte{' ', hex[c>>4], hex[c&0xF]})
	}
	return sb.String()
}

// Pending matches echoes to the sends they answer. The server echoes in order,
// so the oldest send is the one an echo answers.
type Pending struct {
	sent []float64 // Instant.Mono of each send not yet echoed
}

// Sent records a send at.
func (p *Pending) Sent(at Instant) { p.sent = append(p.sent, at.Mono) }

// Echoed returns the round-trip time in milliseconds of an echo received at,
// or 0 when no send is waiting for one.
func (p *Pending) Echoed(at Instant) float64 {
	if len(p.sent) == 0 {
		return 0
	}
	rtt := at.Mono - p.sent[0]
	p.sent = p.sent[1:]
	return rtt
}

// Reset forgets the sends of a connection that closed.
func (p *Pending) Reset() { p.sent = p.sent[:0] }

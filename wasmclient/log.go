package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
	Time     time.Time
	Kind     Kind
	From, To string
	Data     string
	RTT      time.Duration // round-trip time of an echo; 0 when unknown
}

// OpenedRow records that the connection opened.
func OpenedRow(t time.Time) Row {
	return Row{Time: t, Kind: KindEvent, Data: "Connection opened"}
}

// ClosedRow records the close, with the code and reason the browser reports.
func ClosedRow(t time.Time, code int, reason string) Row {
	return Row{Time: t, Kind: KindEvent, Data: fmt.Sprintf("Connection closed. Code: %d. Reason: %s", code, reason)}
}

// ErrorRow records a failure.
func ErrorRow(t time.Time, msg string) Row {
	return Row{Time: t, Kind: KindError, Data: "Error: " + msg}
}

// SentRow records a message the page sent.
func SentRow(t time.Time, data string) Row {
	return Row{Time: t, Kind: KindSent, From: "Client", To: "Server", Data: data}
}

// ReceivedRow records a message from the server and its round-trip time.
func ReceivedRow(t time.Time, data string, rtt time.Duration) Row {
	return Row{Time: t, Kind: KindReceived, From: "Server", To: "Client", Data: data, RTT: rtt}
}

// TimeText is the row's time of day, to the millisecond.
func (r Row) TimeText() string { return r.Time.Format("15:04:05.000") }

// RTTText is the round-trip time in milliseconds, or "" when there is none.
func (r Row) RTTText() string {
	if r.RTT <= 0 {
		return ""
	}
	return strconv.FormatFloat(float64(r.RTT)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

// maxBinaryShown caps how many bytes of a binary message the log shows.
const maxBinaryShown = 64

// BinaryText shows a binary message as its size and its first bytes in hex.
func BinaryText(b []byte) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "[binary, %d bytes]", len(b))
	for i, c := range b {
		if i == maxBinaryShown {
			sb.WriteString(" …")
			break
		}
		fmt.Fprintf(&sb, " %02x", c)
	}
	return sb.String()
}

// Pending matches echoes to the sends they answer. The server echoes in order,
// so the oldest send is the one an echo answers.
type Pending struct {
	sent []time.Time
}

// Sent records a send at t.
func (p *Pending) Sent(t time.Time) { p.sent = append(p.sent, t) }

// Echoed returns the round-trip time of an echo received at t, or 0 when no
// send is waiting for one.
func (p *Pending) Echoed(t time.Time) time.Duration {
	if len(p.sent) == 0 {
		return 0
	}
	rtt := t.Sub(p.sent[0])
	p.sent = p.sent[1:]
	return rtt
}

// Reset forgets the sends of a connection that closed.
func (p *Pending) Reset() { p.sent = p.sent[:0] }

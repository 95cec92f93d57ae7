package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
)

// TestLoad runs 1000 clients at once, each echoing 200 messages of random size
// and type. Every echo must be byte for byte what its
// own client sent (each message carries its client and sequence number, so
// cross-talk shows), and nothing may be lost. Bounded: a fixed count of
// messages and a 2-minute deadline, on loopback.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 clients: not in -short")
	}
	if raceDetector {
		t.Skip("run without -race: the race detector makes it minutes (make test runs it so)")
	}
	const loadClients, loadMessages = 1000, 200
	ts := newTestServer(t, DefaultOptions())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var echoed, bytesEchoed atomic.Int64
	errs := make(chan error, loadClients)
	var wg sync.WaitGroup
	start := time.Now()
	for id := range loadClients {
		wg.Go(func() {
			if err := loadClient(ctx, ts.url, id, loadMessages, &echoed, &bytesEchoed); err != nil {
				errs <- fmt.Errorf("client %d: %w", id, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	elapsed := time.Since(start)
	t.Logf("%d clients echoed %d messages (%d MiB) in %v", loadClients, echoed.Load(), bytesEchoed.Load()>>20, elapsed.Round(time.Millisecond))
	assert.EqualValues(t, loadClients*loadMessages, echoed.Load(), "messages echoed")
	waitIdle(t, ts.Server)
}

// loadClient connects, echoes n messages and closes, checking every echo.
func loadClient(ctx context.Context, url string, id, n int, echoed, bytesEchoed *atomic.Int64) error {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	r := rand.New(rand.NewPCG(uint64(id), 42))
	for seq := range n {
		typ, msg := randomMessage(r, id, seq)
		if err := c.Write(ctx, typ, msg); err != nil {
			return fmt.Errorf("message %d: %w", seq, err)
		}
		gotTyp, got, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("message %d: %w", seq, err)
		}
		if gotTyp != typ || !bytes.Equal(got, msg) {
			return fmt.Errorf("message %d: echo differs: sent %v %d bytes %.24q, got %v %d bytes %.24q",
				seq, typ, len(msg), msg, gotTyp, len(got), got)
		}
		echoed.Add(1)
		bytesEchoed.Add(int64(len(msg)))
	}
	return c.Close(websocket.StatusNormalClosure, "done")
}

var textPieces = []string{"a", "b", " ", "κ", "€", "😀"}

// randomMessage returns a message of random type and size (most under 256 bytes,
// 2% up to 64 KiB) that starts with its client and sequence number. Text mixes
// one- to four-byte characters.
func randomMessage(r *rand.Rand, id, seq int) (websocket.MessageType, []byte) {
	size := r.IntN(256)
	switch p := r.IntN(100); {
	case p < 2:
		size = 4<<10 + r.IntN(60<<10)
	case p < 40:
		size = r.IntN(4 << 10)
	}
	msg := fmt.Appendf(nil, "%d/%d:", id, seq)
	if r.IntN(2) == 0 {
		for len(msg) < size {
			msg = append(msg, textPieces[r.IntN(len(textPieces))]...)
		}
		return websocket.MessageText, msg
	}
	for len(msg) < size {
		msg = binary.LittleEndian.AppendUint64(msg, r.Uint64())
	}
	return websocket.MessageBinary, msg
}

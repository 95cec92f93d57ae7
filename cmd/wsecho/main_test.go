package main

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBadFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string // the message names the flag
	}{
		{"unknown_flag", []string{"-nope"}, 2, "-nope"},
		{"bad_duration", []string{"-keepalive-interval", "soon"}, 2, "-keepalive-interval"},
		{"negative_interval", []string{"-keepalive-interval", "-1s"}, 2, "-keepalive-interval"},
		{"timeout_without_pings", []string{"-keepalive-interval", "0", "-keepalive-timeout", "5s"}, 2, "-keepalive-timeout"},
		{"negative_buffer", []string{"-receive-buffer-size", "-1"}, 2, "-receive-buffer-size"},
		{"bad_origin_pattern", []string{"-allowed-origins", "[bad"}, 2, "-allowed-origins"},
		{"negative_write_timeout", []string{"-write-timeout", "-1s"}, 2, "-write-timeout"},
		{"negative_max_message_size", []string{"-max-message-size", "-5"}, 2, "-max-message-size"},
		{"negative_max_connections", []string{"-max-connections", "-1"}, 2, "-max-connections"},
		{"negative_read_header_timeout", []string{"-read-header-timeout", "-1s"}, 2, "-read-header-timeout"},
		{"negative_max_header_bytes", []string{"-max-header-bytes", "-1"}, 2, "-max-header-bytes"},
		{"zero_shutdown_timeout", []string{"-shutdown-timeout", "0s"}, 2, "-shutdown-timeout"},
		{"positional_argument", []string{"serve"}, 2, `unexpected argument "serve"`},
		{"bad_addr", []string{"-addr", "127.0.0.1:99999"}, 1, "-addr 127.0.0.1:99999"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			code := run(context.Background(), tc.args, &stderr)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}

func TestDisplayHost(t *testing.T) {
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}
	assert.Equal(t, "localhost:5000", displayHost("localhost:5000", bound))
	assert.Equal(t, "localhost:5000", displayHost(":5000", bound))
	assert.Equal(t, "localhost:5000", displayHost("0.0.0.0:0", bound))
	assert.Equal(t, "127.0.0.1:5000", displayHost("127.0.0.1:0", bound))
	assert.Equal(t, "[::1]:5000", displayHost("[::1]:5000", bound))
}

func TestHelp(t *testing.T) {
	var stderr strings.Builder
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &stderr))
	for _, f := range []string{"-addr", "-keepalive-interval", "-keepalive-timeout", "-receive-buffer-size",
		"-allowed-origins", "-shutdown-timeout", "-write-timeout", "-max-message-size", "-max-connections",
		"-read-header-timeout", "-max-header-bytes"} {
		assert.Contains(t, stderr.String(), "  "+f+" ")
	}
	assert.Contains(t, stderr.String(), `(default "localhost:5000")`)
}

// TestSIGTERM runs the real binary: on SIGTERM every open WebSocket gets 1001
// and the process exits 0.
func TestSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "wsecho")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-shutdown-timeout", "5s")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	waitLine := func(re string) []string {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				require.True(t, ok, "wsecho exited before logging %s", re)
				if m := regexp.MustCompile(re).FindStringSubmatch(l); m != nil {
					return m
				}
			case <-deadline:
				t.Fatalf("wsecho logged no %s within 10s", re)
			}
		}
	}
	echo := waitLine(`msg=serving .* echo=(ws://\S+)`)[1]

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, echo, nil)
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("hi")))
	_, got, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(got))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	_, _, err = c.Read(ctx)
	assert.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err))
	waitLine(`msg="websocket closed" .*msgs_in=1 bytes_in=2 msgs_out=1 bytes_out=2 close_code=1001`)
	waitLine(`msg=stopped`)
	// Wait must come after the last read of stderr, at its EOF.
	exited := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-lines:
		case <-exited:
			t.Fatal("wsecho did not exit within 10s of logging stopped")
		}
	}
	require.NoError(t, cmd.Wait(), "exit status 0")
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
}

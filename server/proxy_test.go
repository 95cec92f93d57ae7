package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBehindNginx shows the seed's reason for KeepAliveInterval with a real
// nginx in front of the echo: nginx cuts a connection on which nothing has
// come from the server for proxy_read_timeout (2s here). With a ping every
// second, an idle connection survives 6 seconds; without pings, nginx cuts it.
func TestBehindNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("6 seconds of idling through nginx: not in -short")
	}
	t.Run("pings_keep_idle_connection_open", func(t *testing.T) {
		t.Parallel()
		ts := newTestServer(t, Options{KeepAliveInterval: time.Second})
		c := dialThroughNginx(t, ts)
		r := readInBackground(c)
		select {
		case err := <-r.closed:
			t.Fatalf("nginx cut a connection with keepalive pings: %v", err)
		case <-time.After(6 * time.Second): // the idle time under test
		}
		// Still open both ways: a message goes through nginx and back.
		require.NoError(t, c.Write(testContext(t), websocket.MessageText, []byte("still here")))
		select {
		case err := <-r.closed:
			t.Fatalf("connection ended: %v", err)
		case msg := <-r.msgs:
			assert.Equal(t, "still here", msg)
		case <-time.After(5 * time.Second):
			t.Fatal("no echo within 5s")
		}
	})
	t.Run("without_pings_nginx_cuts_it", func(t *testing.T) {
		t.Parallel()
		ts := newTestServer(t, Options{})
		c := dialThroughNginx(t, ts)
		start := time.Now()
		select {
		case err := <-readInBackground(c).closed:
			t.Logf("nginx cut the idle connection after %v: %v", time.Since(start).Round(100*time.Millisecond), err)
			assert.GreaterOrEqual(t, time.Since(start), 1500*time.Millisecond, "cut before proxy_read_timeout")
		case <-time.After(10 * time.Second):
			t.Fatal("nginx kept an idle connection without pings open for 10s")
		}
	})
}

// reader reads a connection in the background, which also answers pings: its
// messages go to msgs, and the error that ends it to closed.
type reader struct {
	msgs   chan string
	closed chan error
}

func readInBackground(c *websocket.Conn) *reader {
	r := &reader{msgs: make(chan string, 10), closed: make(chan error, 1)}
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				r.closed <- err
				return
			}
			r.msgs <- string(b)
		}
	}()
	return r
}

// dialThroughNginx starts nginx as a WebSocket proxy in front of ts and dials
// the echo through it.
func dialThroughNginx(t *testing.T, ts *testServer) *websocket.Conn {
	t.Helper()
	return dial(t, "ws://"+startNginx(t, hostOf(t, ts.url))+"/ws", nil)
}

// startNginx runs Debian's nginx on a free loopback port, proxying WebSockets
// to upstream with proxy_read_timeout 2s, and returns its host:port.
func startNginx(t *testing.T, upstream string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no nginx: install Debian's nginx package (make test does)")
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf(`daemon off;
master_process off;
error_log %[1]s/error.log info;
pid %[1]s/nginx.pid;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen 127.0.0.1:%[2]d;
		location /ws {
			proxy_pass http://%[3]s;
			proxy_http_version 1.1;
			proxy_set_header Upgrade $http_upgrade;
			proxy_set_header Connection "upgrade";
			proxy_set_header Host $host;
			proxy_read_timeout 2s;
		}
	}
}
`, dir, port, upstream)
	confPath := filepath.Join(dir, "nginx.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o644))
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confPath)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nnginx error.log:\n%s", out.String(), log)
		}
	})

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			return addr
		}
		select {
		case err := <-exited:
			t.Fatalf("nginx exited: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond): // nginx says nothing when it listens: poll
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s within 10s", addr)
		}
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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

var binPath string // the wsecho binary built for this test run

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wsecho-test")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "wsecho")
	if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building wsecho: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is the real binary, running, with its log lines.
type process struct {
	cmd   *exec.Cmd
	lines chan string
	echo  string // ws://host:port/ws
}

// startBinary runs wsecho on a free loopback port and waits until it serves.
func startBinary(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p := &process{cmd: cmd, lines: make(chan string, 10000)}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	p.echo = p.waitLine(t, `msg=serving .* echo=(wss?://\S+)`)[1]
	return p
}

// waitLine waits up to 10 seconds for a log line that matches re.
func (p *process) waitLine(t *testing.T, re string) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			require.True(t, ok, "wsecho exited before logging %s", re)
			if m := regexp.MustCompile(re).FindStringSubmatch(l); m != nil {
				return m
			}
		case <-deadline:
			t.Fatalf("wsecho logged no %s within 10s", re)
		}
	}
}

// waitExit reads the log to its end and waits for the process to exit.
func (p *process) waitExit(t *testing.T, within time.Duration) int {
	t.Helper()
	exited := time.After(within)
	for open := true; open; { // Wait must come after the last read of stderr
		select {
		case _, open = <-p.lines:
		case <-exited:
			t.Fatalf("wsecho did not exit within %v", within)
		}
	}
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode()
}

// TestSIGTERM: on SIGTERM an open WebSocket gets 1001, its close is logged,
// and the process exits 0.
func TestSIGTERM(t *testing.T) {
	p := startBinary(t, "-shutdown-timeout", "5s")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, p.echo, nil)
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("hi")))
	_, got, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(got))

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	_, _, err = c.Read(ctx)
	assert.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err))
	p.waitLine(t, `msg="websocket closed" .*msgs_in=1 bytes_in=2 msgs_out=1 bytes_out=2 close_code=1001`)
	p.waitLine(t, `msg=stopped`)
	assert.Equal(t, 0, p.waitExit(t, 10*time.Second))
}

// TestSIGTERMManyClients: SIGTERM with 1000 clients open. Every client gets
// 1001, no new connection is accepted meanwhile, and the process exits 0
// within the drain bound.
func TestSIGTERMManyClients(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 clients: not in -short")
	}
	const clients = 1000
	const drain = 10 * time.Second
	p := startBinary(t, "-shutdown-timeout", drain.String())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	codes := make(chan websocket.StatusCode, clients)
	var opened sync.WaitGroup
	for i := range clients {
		opened.Add(1)
		go func() {
			c, _, err := websocket.Dial(ctx, p.echo, nil)
			if err != nil {
				opened.Done()
				codes <- -2
				return
			}
			defer c.CloseNow()
			msg := fmt.Sprintf("client %d", i)
			err = c.Write(ctx, websocket.MessageText, []byte(msg))
			if err == nil {
				var got []byte
				_, got, err = c.Read(ctx)
				if err == nil && string(got) != msg {
					err = fmt.Errorf("echo %q for %q", got, msg)
				}
			}
			opened.Done()
			if err != nil {
				codes <- -3
				return
			}
			_, _, err = c.Read(ctx) // until the server closes; answers its close
			codes <- websocket.CloseStatus(err)
		}()
	}
	opened.Wait()

	start := time.Now()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	got := map[websocket.StatusCode]int{}
	for range clients {
		got[<-codes]++
	}
	assert.Equal(t, map[websocket.StatusCode]int{websocket.StatusGoingAway: clients}, got, "close codes seen by the clients")

	// Every client has its 1001, so the drain has begun: nothing new gets in.
	// The listener is closed by then or about to be: the dial is refused, or
	// reaches the server and gets 503.
	_, resp, err := websocket.Dial(ctx, p.echo, nil)
	require.Error(t, err, "a connection was accepted during the drain")
	if resp != nil {
		assert.Equal(t, 503, resp.StatusCode, "a handshake during the drain")
	} else {
		assert.ErrorContains(t, err, "connection refused")
	}
	assert.Equal(t, 0, p.waitExit(t, drain+5*time.Second))
	t.Logf("%d clients closed with 1001; exited %v after SIGTERM", clients, time.Since(start).Round(time.Millisecond))
}

// TestTLS serves https and wss with a certificate the test makes itself.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSignedCert(t)
	p := startBinary(t, "-tls-cert", certFile, "-tls-key", keyFile)
	require.True(t, strings.HasPrefix(p.echo, "wss://"), "the log names the wss URL: %s", p.echo)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	page := strings.Replace(strings.TrimSuffix(p.echo, "/ws"), "wss://", "https://", 1) + "/"
	resp, err := client.Get(page)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, p.echo, &websocket.DialOptions{HTTPClient: client})
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("over TLS")))
	_, got, err := c.Read(ctx)
	require.NoError(t, err)
	assert.Equal(t, "over TLS", string(got))
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
}

func TestTLSFlags(t *testing.T) {
	var stderr strings.Builder
	assert.Equal(t, 2, run(context.Background(), []string{"-tls-cert", "c.pem"}, &stderr))
	assert.Contains(t, stderr.String(), "-tls-cert and -tls-key go together")
	stderr.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"-tls-cert", "missing.pem", "-tls-key", "missing.key"}, &stderr))
	assert.Contains(t, stderr.String(), "-tls-cert missing.pem")
}

// selfSignedCert writes a certificate for 127.0.0.1 and localhost and its key
// to files, and returns them with a pool that trusts the certificate.
func selfSignedCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "wsecho test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:    []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

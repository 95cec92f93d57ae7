// Command wsecho serves the WebSocket echo page at / and the echo endpoint at
// /ws from one binary. Run wsecho -h for its flags.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wsecho/wsecho/server"
	"github.com/wsecho/wsecho/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

// config is what the flags set.
type config struct {
	addr            string
	tlsCert, tlsKey string
	shutdownTimeout time.Duration
	opts            server.Options
}

// flagNames maps option names, which Options.Validate's errors start with, to
// the flags that set them.
var flagNames = strings.NewReplacer(
	"KeepAliveInterval", "-keepalive-interval",
	"KeepAliveTimeout", "-keepalive-timeout",
	"ReceiveBufferSize", "-receive-buffer-size",
	"AllowedOrigins", "-allowed-origins",
	"WriteTimeout", "-write-timeout",
	"MaxConnections", "-max-connections",
	"MaxMessageSize", "-max-message-size",
	"ReadHeaderTimeout", "-read-header-timeout",
	"MaxHeaderBytes", "-max-header-bytes",
)

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{opts: server.DefaultOptions()}
	fs := flag.NewFlagSet("wsecho", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: wsecho [flags]\n\n"+
			"Serves the WebSocket echo page at / and the echo endpoint at /ws.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", "localhost:5000", "`host:port` to listen on")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "PEM certificate `file` (with -tls-key): serve https and wss instead of http and ws")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "PEM private key `file` of -tls-cert")
	fs.DurationVar(&cfg.opts.KeepAliveInterval, "keepalive-interval", cfg.opts.KeepAliveInterval,
		"how often to ping each connection so that proxies keep it open; 0 turns pings off")
	fs.DurationVar(&cfg.opts.KeepAliveTimeout, "keepalive-timeout", 0,
		"close a connection whose pong has not come back this long after a ping; 0 waits without a bound")
	fs.IntVar(&cfg.opts.ReceiveBufferSize, "receive-buffer-size", cfg.opts.ReceiveBufferSize,
		"`bytes` of the buffer each message streams through; a message that fits goes back as one frame")
	fs.DurationVar(&cfg.opts.WriteTimeout, "write-timeout", cfg.opts.WriteTimeout,
		"drop a connection whose echo write does not complete in this time (a client that stopped reading); 0 turns it off")
	fs.Int64Var(&cfg.opts.MaxMessageSize, "max-message-size", 0,
		"largest message in `bytes` to echo; a larger one closes with 1009; 0 means no limit")
	fs.IntVar(&cfg.opts.MaxConnections, "max-connections", 0,
		"most WebSockets open at once; a handshake beyond gets 503; 0 means no limit")
	fs.DurationVar(&cfg.opts.ReadHeaderTimeout, "read-header-timeout", cfg.opts.ReadHeaderTimeout,
		"how long a client may take to send a request's headers")
	fs.IntVar(&cfg.opts.MaxHeaderBytes, "max-header-bytes", 0,
		"largest request headers in `bytes`; larger ones get 431; 0 means Go's default (1 MiB)")
	fs.Func("allowed-origins", "comma-separated browser `origins` allowed besides the page's own host: "+
		"host patterns (*.example.com) or scheme://host; may be repeated", func(v string) error {
		for o := range strings.SplitSeq(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				cfg.opts.AllowedOrigins = append(cfg.opts.AllowedOrigins, o)
			}
		}
		return nil
	})
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 10*time.Second,
		"on SIGINT or SIGTERM, how long to wait for WebSockets to finish closing with 1001")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q: wsecho takes only flags (see -h)", fs.Arg(0))
	}
	if err := cfg.opts.Validate(); err != nil {
		return cfg, errors.New(flagNames.Replace(err.Error()))
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return cfg, errors.New("-tls-cert and -tls-key go together: give both or neither")
	}
	if cfg.shutdownTimeout <= 0 {
		return cfg, fmt.Errorf("-shutdown-timeout %v: must be positive", cfg.shutdownTimeout)
	}
	return cfg, nil
}

// displayHost is the host:port to show a user: the host of -addr as given
// (localhost rather than the address it resolved to; localhost when it was
// empty) with the port really bound, which differs for port 0.
func displayHost(addr string, bound net.Addr) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(bound.String())
	return net.JoinHostPort(host, port)
}

// run serves until ctx ends, then shuts down, and returns the exit code.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "wsecho:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg.opts.Logger = log
	if !web.HasClient() {
		log.Warn("this binary has no Go-wasm client: the page will say so; build with make build")
	}
	echo, err := server.New(cfg.opts)
	if err != nil {
		fmt.Fprintln(stderr, "wsecho:", err)
		return 2
	}
	var tlsConfig *tls.Config
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			fmt.Fprintf(stderr, "wsecho: -tls-cert %s -tls-key %s: %v\n", cfg.tlsCert, cfg.tlsKey, err)
			return 2
		}
		// HTTP/1.1 only: the WebSocket handshake needs it (coder/websocket does
		// not do RFC 8441's WebSockets over HTTP/2).
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		fmt.Fprintf(stderr, "wsecho: -addr %s: %v\n", cfg.addr, err)
		return 1
	}
	scheme := "http"
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
		scheme = "https"
	}
	hs := echo.NewHTTPServer(web.Handler(echo))
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	host := displayHost(cfg.addr, ln.Addr())
	log.Info("serving", "url", scheme+"://"+host+"/", "echo", strings.Replace(scheme, "http", "ws", 1)+"://"+host+"/ws",
		"keepalive_interval", cfg.opts.KeepAliveInterval, "keepalive_timeout", cfg.opts.KeepAliveTimeout,
		"receive_buffer_size", cfg.opts.ReceiveBufferSize)

	select {
	case err := <-served:
		log.Error("serve", "err", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	wsDone := make(chan error, 1)
	go func() { wsDone <- echo.Shutdown(sctx) }()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("shutdown: HTTP requests still open", "err", err)
	}
	if err := <-wsDone; err != nil {
		log.Warn("shutdown: WebSockets dropped", "err", err)
	}
	log.Info("stopped")
	return 0
}

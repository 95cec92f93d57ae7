// Command wsbench measures wsecho against a raw TCP echo and a plain gorilla
// echo, side by side in one run: echo throughput and latency, handshakes per
// second, and memory per idle connection. It prints a table and writes the same
// figures as JSON.
//
// Every comparison is a ratio within the run: the servers are measured one
// after another, interleaved over several rounds; throughput is the median of
// the rounds, and the latencies reported are those of that median round. The machine is shared and noisy; absolute figures move, ratios
// much less.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	var (
		wsecho   = flag.String("wsecho", "bin/wsecho", "the wsecho binary")
		peers    = flag.String("peers", "bin", "folder with the rawecho and gorillaecho binaries")
		rounds   = flag.Int("rounds", 3, "rounds; each figure is the median of its rounds")
		duration = flag.Duration("duration", time.Second, "how long each measurement runs")
		idle     = flag.Int("idle", 10000, "idle connections for the memory measurement")
		out      = flag.String("out", "bin/bench.json", "where to write the figures as JSON")
		extra    = flag.String("extra", "", "JSON file of more figures (the browser's) to add to the report")
		wsArgs   = flag.String("wsecho-args", "", "more flags for wsecho, space-separated")
		sizesF   = flag.String("sizes", "16,4096,65536,1048576", "message sizes in bytes, comma-separated")
		connsF   = flag.String("conns", "1,8", "connection counts, comma-separated")
		only     = flag.String("only", "", "run only these parts, comma-separated: echo, handshakes, idle, suite")
		suite    = flag.String("suite", "go test -count=1 ./e2e", "the browser test suite, whose wall time is reported")
	)
	flag.Parse()
	log.SetFlags(0)

	servers := []*server{
		{Name: "wsecho", bin: *wsecho, args: append([]string{"-addr", "127.0.0.1:0"}, strings.Fields(*wsArgs)...), ws: true},
		{Name: "gorilla", bin: *peers + "/gorillaecho", ws: true},
		{Name: "rawtcp", bin: *peers + "/rawecho"},
		{Name: "gorilla64k", bin: *peers + "/gorillaecho", args: []string{"-buffer", "65536"}, ws: true},
	}
	for _, s := range servers {
		if err := s.start(); err != nil {
			log.Fatalf("starting %s: %v", s.Name, err)
		}
		defer s.stop()
	}

	run := func(part string) bool { return *only == "" || slices.Contains(strings.Split(*only, ","), part) }
	rep := report{Machine: machine(), Rounds: *rounds, Duration: duration.String(), WsechoArgs: *wsArgs}
	if run("echo") {
		log.Printf("echo throughput: %d rounds of %v per configuration and server", *rounds, *duration)
		rep.Echo = echoBench(servers, ints(*sizesF), ints(*connsF), *rounds, *duration)
	}
	if run("handshakes") {
		log.Printf("handshakes")
		rep.Handshakes = handshakeBench(servers[:2], *rounds, *duration)
	}
	if run("idle") {
		log.Printf("memory with %d idle connections", *idle)
	}
	for _, s := range servers[:2] {
		if !run("idle") {
			break
		}
		m, err := idleMemory(s, *idle)
		if err != nil {
			log.Printf("memory %s: %v", s.Name, err)
			continue
		}
		rep.Idle = append(rep.Idle, m)
	}
	if run("suite") && *suite != "" {
		log.Printf("browser test suite: %s", *suite)
		start := time.Now()
		cmd := exec.Command("sh", "-c", *suite)
		if out, err := cmd.CombinedOutput(); err != nil {
			log.Printf("%s: %v\n%s", *suite, err, out)
		} else {
			rep.SuiteSeconds = time.Since(start).Seconds()
		}
	}
	if *extra != "" {
		b, err := os.ReadFile(*extra)
		if err == nil {
			err = json.Unmarshal(b, &rep.Browser)
		}
		if err != nil {
			log.Printf("browser figures %s: %v", *extra, err)
		}
	}
	rep.print(os.Stdout)
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nJSON: %s\n", *out)
}

// server is an echo server under test, run as its own process.
type server struct {
	Name string
	bin  string
	args []string
	ws   bool // speaks WebSocket at /ws; else raw TCP
	addr string
	cmd  *exec.Cmd
}

var addrRE = regexp.MustCompile(`(?:addr=|echo=ws://)(127\.0\.0\.1:\d+)`)

func (s *server) start() error {
	s.cmd = exec.Command(s.bin, s.args...)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
			s.addr = m[1]
			go io.Copy(io.Discard, stderr)
			return nil
		}
	}
	return errors.New("it exited without saying where it listens")
}

func (s *server) stop() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// client is one connection of the load generator.
type client interface {
	echo(typ int, msg, buf []byte) error
	close() error
}

func dial(s *server) (client, error) {
	if !s.ws {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			return nil, err
		}
		return rawClient{c}, nil
	}
	d := websocket.Dialer{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	c, _, err := d.Dial("ws://"+s.addr+"/ws", nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(-1)
	return wsClient{c}, nil
}

type wsClient struct{ c *websocket.Conn }

// echo sends msg and reads its echo into buf, checking every byte.
func (w wsClient) echo(typ int, msg, buf []byte) error {
	if err := w.c.WriteMessage(typ, msg); err != nil {
		return err
	}
	gotTyp, r, err := w.c.NextReader()
	if err != nil {
		return err
	}
	if gotTyp != typ {
		return fmt.Errorf("echo type %d for %d", gotTyp, typ)
	}
	if _, err := io.ReadFull(r, buf[:len(msg)]); err != nil {
		return fmt.Errorf("echo shorter than %d bytes: %w", len(msg), err)
	}
	if n, _ := r.Read(buf[len(msg) : len(msg)+1]); n != 0 {
		return fmt.Errorf("echo longer than %d bytes", len(msg))
	}
	if !bytes.Equal(buf[:len(msg)], msg) {
		return errors.New("echo differs from the message")
	}
	return nil
}

func (w wsClient) close() error {
	w.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	for {
		if _, _, err := w.c.NextReader(); err != nil {
			break // the server's close, or the end of the connection
		}
	}
	return w.c.Close()
}

type rawClient struct{ c net.Conn }

func (r rawClient) echo(_ int, msg, buf []byte) error {
	if _, err := r.c.Write(msg); err != nil {
		return err
	}
	if _, err := io.ReadFull(r.c, buf[:len(msg)]); err != nil {
		return err
	}
	if !bytes.Equal(buf[:len(msg)], msg) {
		return errors.New("echo differs from the message")
	}
	return nil
}

func (r rawClient) close() error { return r.c.Close() }

// echoResult is one server's figures for one configuration: medians of the
// rounds.
type echoResult struct {
	Server   string  `json:"server"`
	Type     string  `json:"type"`
	Size     int     `json:"size"`
	Conns    int     `json:"conns"`
	MsgsPerS float64 `json:"msgs_per_s"`
	MBPerS   float64 `json:"mb_per_s"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	VsGor    float64 `json:"ratio_to_gorilla,omitempty"`
	VsGor64  float64 `json:"ratio_to_gorilla64k,omitempty"`
	VsRaw    float64 `json:"ratio_to_rawtcp,omitempty"`
}

type echoConfig struct {
	typ   int
	size  int
	conns int
}

func (c echoConfig) typeName() string {
	if c.typ == websocket.TextMessage {
		return "text"
	}
	return "binary"
}

func ints(list string) []int {
	var out []int
	for f := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			log.Fatalf("%q: %v", list, err)
		}
		out = append(out, n)
	}
	return out
}

func echoBench(servers []*server, sizes, connCounts []int, rounds int, d time.Duration) []echoResult {
	var configs []echoConfig
	for _, size := range sizes {
		for _, typ := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			for _, conns := range connCounts {
				configs = append(configs, echoConfig{typ, size, conns})
			}
		}
	}
	type key struct {
		cfg    echoConfig
		server string
	}
	samples := map[key][]echoResult{}
	for round := range rounds {
		for _, cfg := range configs {
			// The order of the servers turns with the rounds, so none is
			// always measured first (or last) in a configuration.
			for i := range servers {
				s := servers[(i+round)%len(servers)]
				if !s.ws && cfg.typ == websocket.TextMessage {
					continue // raw TCP has no message types: measured once, as binary
				}
				r, err := runEcho(s, cfg, d)
				if err != nil {
					log.Fatalf("%s %s %d B x%d: %v", s.Name, cfg.typeName(), cfg.size, cfg.conns, err)
				}
				samples[key{cfg, s.Name}] = append(samples[key{cfg, s.Name}], r)
			}
		}
		log.Printf("round %d of %d done", round+1, rounds)
	}
	var results []echoResult
	for _, cfg := range configs {
		median := func(name string) (echoResult, bool) {
			rs := samples[key{cfg, name}]
			if name == "rawtcp" {
				rs = samples[key{echoConfig{websocket.BinaryMessage, cfg.size, cfg.conns}, name}]
			}
			if len(rs) == 0 {
				return echoResult{}, false
			}
			slices.SortFunc(rs, func(a, b echoResult) int { return cmpFloat(a.MsgsPerS, b.MsgsPerS) })
			return rs[len(rs)/2], true
		}
		gor, _ := median("gorilla")
		gor64, _ := median("gorilla64k")
		raw, _ := median("rawtcp")
		for _, s := range servers {
			r, ok := median(s.Name)
			if !ok || s.Name == "rawtcp" && cfg.typ == websocket.TextMessage {
				continue
			}
			r.Type = cfg.typeName()
			if s.Name != "gorilla" && gor.MsgsPerS > 0 {
				r.VsGor = r.MsgsPerS / gor.MsgsPerS
			}
			if s.Name != "gorilla64k" && gor64.MsgsPerS > 0 {
				r.VsGor64 = r.MsgsPerS / gor64.MsgsPerS
			}
			if s.Name != "rawtcp" && raw.MsgsPerS > 0 {
				r.VsRaw = r.MsgsPerS / raw.MsgsPerS
			}
			results = append(results, r)
		}
	}
	return results
}

// runEcho runs cfg.conns closed-loop clients against s for d after a short
// warm-up, and returns the throughput and latency.
func runEcho(s *server, cfg echoConfig, d time.Duration) (echoResult, error) {
	msg := payload(cfg.typ, cfg.size)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		wg        sync.WaitGroup
		firstErr  error
	)
	warm := time.Now().Add(d / 5)
	end := warm.Add(d)
	for range cfg.conns {
		wg.Go(func() {
			c, err := dial(s)
			if err != nil {
				mu.Lock()
				firstErr = cmp(firstErr, err)
				mu.Unlock()
				return
			}
			defer c.close()
			buf := make([]byte, cfg.size+1)
			var own []time.Duration
			for {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				if err := c.echo(cfg.typ, msg, buf); err != nil {
					mu.Lock()
					firstErr = cmp(firstErr, err)
					mu.Unlock()
					return
				}
				if t0.After(warm) {
					own = append(own, time.Since(t0))
				}
			}
			mu.Lock()
			latencies = append(latencies, own...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return echoResult{}, firstErr
	}
	if len(latencies) == 0 {
		return echoResult{}, errors.New("no message echoed")
	}
	slices.Sort(latencies)
	msgs := float64(len(latencies)) / d.Seconds()
	return echoResult{
		Server: s.Name, Size: cfg.size, Conns: cfg.conns,
		MsgsPerS: msgs,
		MBPerS:   msgs * float64(cfg.size) / 1e6,
		P50us:    float64(latencies[len(latencies)/2].Microseconds()),
		P99us:    float64(latencies[len(latencies)*99/100].Microseconds()),
	}, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// payload is a message of size bytes: random bytes, or for text random ASCII
// and multi-byte characters, valid UTF-8 however the size cuts it.
func payload(typ, size int) []byte {
	r := rand.New(rand.NewPCG(uint64(size), uint64(typ)))
	b := make([]byte, 0, size)
	if typ == websocket.BinaryMessage {
		for len(b) < size {
			b = append(b, byte(r.Uint32()))
		}
		return b
	}
	pieces := []string{"a", "b", "c", " ", "κ", "€", "😀"}
	for len(b) < size {
		p := pieces[r.IntN(len(pieces))]
		if len(b)+len(p) > size {
			p = "a"
		}
		b = append(b, p...)
	}
	return b
}

// handshakeResult is how many connect, echo once, close cycles one sequential
// client completes per second.
type handshakeResult struct {
	Server string  `json:"server"`
	PerS   float64 `json:"per_s"`
	VsGor  float64 `json:"ratio_to_gorilla,omitempty"`
}

func handshakeBench(servers []*server, rounds int, d time.Duration) []handshakeResult {
	per := map[string][]float64{}
	msg := payload(websocket.BinaryMessage, 16)
	buf := make([]byte, 17)
	for round := range rounds {
		for i := range servers {
			s := servers[(i+round)%len(servers)]
			n := 0
			end := time.Now().Add(d)
			for time.Now().Before(end) {
				c, err := dial(s)
				if err == nil {
					err = c.echo(websocket.BinaryMessage, msg, buf)
					c.close()
				}
				if err != nil {
					log.Fatalf("handshake %s: %v", s.Name, err)
				}
				n++
			}
			per[s.Name] = append(per[s.Name], float64(n)/d.Seconds())
		}
	}
	var out []handshakeResult
	med := func(xs []float64) float64 { slices.Sort(xs); return xs[len(xs)/2] }
	gor := med(per["gorilla"])
	for _, s := range servers {
		r := handshakeResult{Server: s.Name, PerS: med(per[s.Name])}
		if s.Name != "gorilla" {
			r.VsGor = r.PerS / gor
		}
		out = append(out, r)
	}
	return out
}

// idleResult is the server's resident memory per idle connection.
type idleResult struct {
	Server       string  `json:"server"`
	Conns        int     `json:"conns"`
	KBPerConn    float64 `json:"kb_per_conn"`
	RSSBeforeMB  float64 `json:"rss_before_mb"`
	RSSAfterMB   float64 `json:"rss_after_mb"`
	OpenFilesMax int     `json:"open_files_limit"`
	Ports        int     `json:"ephemeral_ports"`
}

// idleMemory opens n connections to a fresh process of s, each echoing once,
// and measures the growth of the server's resident memory.
func idleMemory(s0 *server, n int) (idleResult, error) {
	s := &server{Name: s0.Name, bin: s0.bin, args: s0.args, ws: s0.ws}
	if err := s.start(); err != nil {
		return idleResult{}, err
	}
	defer s.stop()
	before, err := rss(s.pid())
	if err != nil {
		return idleResult{}, err
	}
	conns := make([]client, 0, n)
	defer func() {
		for _, c := range conns {
			c.(wsClient).c.NetConn().Close()
		}
	}()
	msg := payload(websocket.BinaryMessage, 16)
	buf := make([]byte, 17)
	for range n {
		c, err := dial(s)
		if err != nil {
			return idleResult{}, fmt.Errorf("after %d connections: %w", len(conns), err)
		}
		conns = append(conns, c)
		if err := c.echo(websocket.BinaryMessage, msg, buf); err != nil {
			return idleResult{}, err
		}
	}
	// Let the server settle: the last handshakes' garbage is collected at the
	// pace of its GC, not ours.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	<-ctx.Done()
	after, err := rss(s.pid())
	if err != nil {
		return idleResult{}, err
	}
	lo, hi := portRange()
	return idleResult{
		Server: s.Name, Conns: n,
		KBPerConn:    float64(after-before) / float64(n) / 1024,
		RSSBeforeMB:  float64(before) / (1 << 20),
		RSSAfterMB:   float64(after) / (1 << 20),
		OpenFilesMax: openFilesLimit(s.pid()),
		Ports:        hi - lo + 1,
	}, nil
}

// rss is a process's resident memory in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

func openFilesLimit(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			if f := strings.Fields(line); len(f) >= 5 {
				n, _ := strconv.Atoi(f[3])
				return n
			}
		}
	}
	return 0
}

func portRange() (int, int) {
	b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, -1
	}
	lo, _ := strconv.Atoi(f[0])
	hi, _ := strconv.Atoi(f[1])
	return lo, hi
}

// report is everything one run measured.
type report struct {
	Machine    map[string]string `json:"machine"`
	Rounds     int               `json:"rounds"`
	WsechoArgs string            `json:"wsecho_args,omitempty"`
	Duration   string            `json:"duration_per_measurement"`
	Echo       []echoResult      `json:"echo"`
	Handshakes []handshakeResult `json:"handshakes"`
	Idle       []idleResult      `json:"idle_memory"`
	Browser    json.RawMessage   `json:"browser,omitempty"`
	// SuiteSeconds is the wall time of the browser test suite, Chromium's
	// start included.
	SuiteSeconds float64 `json:"browser_suite_seconds,omitempty"`
}

func machine() map[string]string {
	m := map[string]string{
		"date": time.Now().UTC().Format(time.RFC3339),
		"go":   runtime.Version(),
		"cpus": strconv.Itoa(runtime.NumCPU()),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	return m
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "\nwsbench %s, %s CPUs (%s), %s, %d rounds of %s\n\n",
		r.Machine["date"], r.Machine["cpus"], r.Machine["cpu"], r.Machine["go"], r.Rounds, r.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "size\ttype\tconns\tserver\tmsgs/s\tMB/s\tp50 µs\tp99 µs\tvs gorilla\tvs gorilla 64k\tvs raw TCP\t")
	for _, e := range r.Echo {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.0f\t%.1f\t%.0f\t%.0f\t%s\t%s\t%s\t\n", sizeName(e.Size), e.Type, e.Conns, e.Server,
			e.MsgsPerS, e.MBPerS, e.P50us, e.P99us, ratio(e.VsGor), ratio(e.VsGor64), ratio(e.VsRaw))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "handshakes (connect, echo, close)\tper s\tvs gorilla\t")
	for _, h := range r.Handshakes {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t\n", h.Server, h.PerS, ratio(h.VsGor))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "idle connections\tconns\tKB/conn\tRSS before MB\tRSS after MB\topen files limit\tephemeral ports\t")
	for _, m := range r.Idle {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%d\t%d\t\n", m.Server, m.Conns, m.KBPerConn, m.RSSBeforeMB, m.RSSAfterMB, m.OpenFilesMax, m.Ports)
	}
	tw.Flush()
	if len(r.Browser) > 0 {
		var b struct {
			RoundTrips []struct {
				Size   int     `json:"size"`
				GoPerS float64 `json:"go_wasm_per_s"`
				JSPerS float64 `json:"plain_js_per_s"`
				GoVsJS float64 `json:"ratio_go_to_js"`
			} `json:"round_trips"`
			WasmRaw    int64   `json:"wasm_bytes_raw"`
			WasmServed int64   `json:"wasm_bytes_served"`
			ReadyMs    float64 `json:"page_ready_ms"`
			PlainMs    float64 `json:"plain_js_page_ready_ms"`
			Ratio      float64 `json:"page_ready_ratio_to_plain_js"`
		}
		if json.Unmarshal(r.Browser, &b) == nil {
			fmt.Fprintln(w)
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "browser round trips	Go-wasm /s	plain JS /s	Go / JS	")
			for _, rt := range b.RoundTrips {
				fmt.Fprintf(tw, "%s	%.0f	%.0f	%.2f	\n", sizeName(rt.Size), rt.GoPerS, rt.JSPerS, rt.GoVsJS)
			}
			tw.Flush()
			fmt.Fprintf(w, "\nwasm: %.2f MB raw, %.0f KB as served; page ready %.0f ms (plain-JS page %.0f ms, ratio %.2f)\n",
				float64(b.WasmRaw)/1e6, float64(b.WasmServed)/1e3, b.ReadyMs, b.PlainMs, b.Ratio)
		}
	}
	if r.SuiteSeconds > 0 {
		fmt.Fprintf(w, "browser test suite: %.1f s wall, Chromium's start included\n", r.SuiteSeconds)
	}
}

func ratio(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", x)
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

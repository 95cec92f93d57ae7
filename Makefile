# wsecho: `make run` serves the demo at http://localhost:5000; `make test` runs
# every check and test, the real-browser ones included.

GO      ?= go
GOROOT  := $(shell $(GO) env GOROOT)
WASM    := GOOS=js GOARCH=wasm
STATIC  := web/static
ADDR    ?= localhost:5000
# The race detector needs cgo and a C compiler; without one the tests run without it.
RACE    := $(shell command -v "$$($(GO) env CC)" >/dev/null 2>&1 && test "$$($(GO) env CGO_ENABLED)" = 1 && echo -race)

FUZZTIME ?= 1m

.PHONY: build run wasm test check unit tools fuzz bench screenshot clean

build: wasm
	$(GO) build -o bin/wsecho ./cmd/wsecho

run: build
	bin/wsecho -addr $(ADDR)

# The client, and brotli and gzip copies of every asset for web.Handler to
# send by Accept-Encoding.
ASSETS  := $(STATIC)/main.wasm $(STATIC)/wasm_exec.js $(STATIC)/index.html $(STATIC)/app.js $(STATIC)/style.css
wasm: $(addsuffix .br,$(ASSETS))

$(STATIC)/%.br: $(STATIC)/%
	$(GO) run ./internal/precompress $<

# The client and wasm_exec.js come from the same toolchain: both are rebuilt
# when it changes.
$(STATIC)/main.wasm: $(wildcard wasmclient/*.go) go.mod go.sum $(GOROOT)/lib/wasm/wasm_exec.js
	$(WASM) $(GO) build -trimpath -ldflags=-s -o $@ ./wasmclient

$(STATIC)/wasm_exec.js: $(GOROOT)/lib/wasm/wasm_exec.js
	cp $< $@

test: check unit

# Formatting and vet: the host, js/wasm, and the bench module.
check: wasm
	@out=$$(gofmt -l .); test -z "$$out" || { echo "gofmt -l: these files need gofmt:"; echo "$$out"; exit 1; }
	$(GO) vet ./... && $(WASM) $(GO) vet ./wasmclient && cd bench && $(GO) vet ./...

# Unit, server and browser tests (the load test without the race detector,
# which would make it minutes), then the client's pure Go under Node.js.
unit: wasm tools
	@test -n "$(RACE)" || echo "No C compiler for cgo: running the tests without the race detector."
	$(GO) test $(RACE) -count=1 ./...
	test -z "$(RACE)" || $(GO) test -count=1 -run '^TestLoad$$' -v ./server
	PATH="$(GOROOT)/lib/wasm:$$PATH" $(WASM) $(GO) test -count=1 ./wasmclient

# The tests drive a real Chromium (one on PATH, or WSECHO_CHROME) and a real
# nginx; this installs Debian's packages for what is missing.
tools:
	@./scripts/ensure-test-tools

# Figures, side by side in one run (a few minutes): the browser's, then wsbench
# (bench/, a module of its own) for the echo, handshakes, idle memory and the
# browser suite's wall time. Prints a table; bin/bench.json has the same.
bench: build tools
	cd bench && $(GO) build -o ../bin/ ./...
	WSECHO_BENCH_JSON=$(CURDIR)/bin/browser.json $(GO) test -run '^$$' -bench BenchmarkBrowser -benchtime 1x ./e2e
	bin/wsbench -extra bin/browser.json

# Each fuzz target for FUZZTIME; `make test` replays their corpora in testdata/.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzUTF8Stream$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzServerFrames$$' -fuzztime $(FUZZTIME) ./server

# The README's picture of the page, taken by the browser tests after the seed's flow.
screenshot: wasm tools
	WSECHO_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(GO) test -count=1 -run 'TestSeedFlow$$' ./e2e

clean:
	rm -rf bin $(STATIC)/main.wasm $(STATIC)/wasm_exec.js $(STATIC)/*.br $(STATIC)/*.gz e2e/artifacts

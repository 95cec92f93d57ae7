# wsecho: `make run` serves the demo at http://localhost:5000; `make test` runs
# every check and test, the real-browser ones included.

GO      ?= go
GOROOT  := $(shell $(GO) env GOROOT)
WASM    := GOOS=js GOARCH=wasm
STATIC  := web/static
ADDR    ?= localhost:5000

.PHONY: build run wasm test check unit browser clean

build: wasm
	$(GO) build -o bin/wsecho ./cmd/wsecho

run: build
	bin/wsecho -addr $(ADDR)

wasm: $(STATIC)/main.wasm $(STATIC)/wasm_exec.js

# The client and wasm_exec.js come from the same toolchain: both are rebuilt
# when it changes.
$(STATIC)/main.wasm: $(wildcard wasmclient/*.go) go.mod go.sum $(GOROOT)/lib/wasm/wasm_exec.js
	$(WASM) $(GO) build -trimpath -ldflags=-s -o $@ ./wasmclient

$(STATIC)/wasm_exec.js: $(GOROOT)/lib/wasm/wasm_exec.js
	cp $< $@

test: check unit

# Formatting and vet, for the host and for js/wasm.
check: wasm
	@out=$$(gofmt -l .); test -z "$$out" || { echo "gofmt -l: these files need gofmt:"; echo "$$out"; exit 1; }
	$(GO) vet ./... && $(WASM) $(GO) vet ./wasmclient

# Unit, server and browser tests, then the client's pure Go under Node.js.
unit: wasm browser
	$(GO) test -count=1 ./...
	PATH="$(GOROOT)/lib/wasm:$$PATH" $(WASM) $(GO) test -count=1 ./wasmclient

# The browser tests need Chromium: one on PATH, or WSECHO_CHROME.
browser:
	@./e2e/ensure-chromium

clean:
	rm -rf bin $(STATIC)/main.wasm $(STATIC)/wasm_exec.js e2e/artifacts

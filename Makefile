# The two set-up commands of the README are `make demo` and `make test`.
GO        ?= go
BIN       := bin/autonomous
CLAUDE_CODE_VERSION ?= 2.1.331

.PHONY: build test bench runtime demo fuzz lint clean

build:
	$(GO) build -o $(BIN) ./cmd/autonomous

# The agent runtime the end-to-end tests drive (idempotent: a no-op when present).
runtime: build
	./$(BIN) runtime install --version $(CLAUDE_CODE_VERSION)

test: build runtime
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

demo: build runtime
	./$(BIN) demo

clean:
	rm -rf bin dist

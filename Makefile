# The two set-up commands of the README are `make demo` and `make test`.
GO        ?= go
BIN       := bin/autonomous
CLAUDE_CODE_VERSION ?= 2.1.331

.PHONY: build test bench runtime demo vsix clean

build:
	$(GO) build -o $(BIN) ./cmd/autonomous

# The agent runtime the end-to-end tests drive (idempotent: a no-op when present).
runtime: build
	./$(BIN) runtime install --version $(CLAUDE_CODE_VERSION)

# The VS Code end to end (code-server in Chromium) runs last, on its own:
# it installs its tools on first use and would fight the other packages'
# tests for the cores. Its screenshots: editors/vscode/e2e/artifacts/.
test: build runtime
	$(GO) vet ./...
	$(GO) vet -tags codeserver ./editors/vscode/e2e/
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) test -count=1 -timeout 25m -tags codeserver ./editors/vscode/e2e/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The demo writes a fresh project to DEMO_DIR each time (the folder is the demo's own).
DEMO_DIR ?= autonomous-demo
demo: build runtime
	rm -rf $(DEMO_DIR)
	./$(BIN) demo --dir $(DEMO_DIR)

# The VS Code extension as dist/autonomous-<version>.vsix (install: code --install-extension FILE).
vsix:
	mkdir -p dist
	cd editors/vscode && npm ci --no-audit --no-fund && npx vsce package --skip-license --out ../../dist/

clean:
	rm -rf bin dist

module github.com/autonomous-coding/autonomous

go 1.26.0

require (
	github.com/fsnotify/fsnotify v1.10.1
	github.com/sourcegraph/jsonrpc2 v0.2.3
	github.com/tliron/glsp v0.2.2
	go.lsp.dev/uri v1.0.1
	golang.org/x/sys v0.47.0
	gopkg.in/yaml.v3 v3.0.1
	mvdan.cc/sh/v3 v3.14.1
)

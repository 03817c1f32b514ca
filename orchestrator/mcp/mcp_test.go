package mcp

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestBuildMatchesGolden(t *testing.T) {
	t.Parallel()
	servers := []Server{
		Playwright("", "/usr/bin/chromium"),
		Supabase("abcdefghijklmnopqrst"),
		{Name: "docs", Type: TypeHTTP, URL: "https://mcp.example.com/mcp", Headers: map[string]string{"X-Team": "blue"}},
		{Name: "local-tool", Command: "/opt/tool/bin/server", Args: []string{"--stdio"}, Env: map[string]string{"LOG_LEVEL": "debug"}},
	}
	got, err := Build(servers)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../testdata/mcp/config.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Build =\n%s\nwant (testdata/mcp/config.json)\n%s", got, want)
	}
}

func TestPlaywrightAndSupabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got  Server
		args []string
	}{
		{Playwright("", ""), []string{"-y", "@playwright/mcp@0.0.83", "--headless", "--isolated"}},
		{Playwright("0.0.90", "/usr/bin/chromium"), []string{"-y", "@playwright/mcp@0.0.90", "--headless", "--isolated", "--executable-path", "/usr/bin/chromium"}},
		{Supabase("ref123"), []string{"-y", "@supabase/mcp-server-supabase@0.13.0", "--read-only", "--project-ref=ref123"}},
	}
	for _, tt := range tests {
		if tt.got.Command != "npx" || !reflect.DeepEqual(tt.got.Args, tt.args) || tt.got.Type != TypeStdio {
			t.Errorf("%s: %s %v, want npx %v", tt.got.Name, tt.got.Command, tt.got.Args, tt.args)
		}
		if len(tt.got.Env) != 0 {
			t.Errorf("%s carries env %v: tokens must come from the inherited environment", tt.got.Name, tt.got.Env)
		}
	}
}

func TestBuildRejectsBadServers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		servers []Server
		want    string // in the error
	}{
		{"empty name", []Server{{Command: "x"}}, `name ""`},
		{"name with a dot", []Server{{Name: "my.server", Command: "x"}}, `name "my.server"`},
		{"name with a space", []Server{{Name: "a b", Command: "x"}}, `name "a b"`},
		{"duplicate", []Server{{Name: "a", Command: "x"}, {Name: "a", Command: "y"}}, `two MCP servers are named "a"`},
		{"stdio without command", []Server{{Name: "a", Command: "  "}}, `"a": a stdio server needs a command`},
		{"stdio with url", []Server{{Name: "a", Command: "x", URL: "http://h"}}, `"a": url and headers are for http`},
		{"http without url", []Server{{Name: "h", Type: TypeHTTP}}, `"h": an http server needs an http(s) url`},
		{"http with a file url", []Server{{Name: "h", Type: TypeHTTP, URL: "file:///etc/passwd"}}, `"h": an http server needs`},
		{"http with command", []Server{{Name: "h", Type: TypeHTTP, URL: "https://h/mcp", Command: "x"}}, `"h": command, args and env are for stdio`},
		{"unknown type", []Server{{Name: "s", Type: "sse", URL: "https://h"}}, `"s": unknown type "sse"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := Build(tt.servers)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build error = %v, want one containing %q", err, tt.want)
			}
			if data != nil {
				t.Errorf("Build returned data with an error")
			}
		})
	}
}

func TestBuildEmptyAndNames(t *testing.T) {
	t.Parallel()
	data, err := Build(nil)
	if err != nil || !json.Valid(data) || !strings.Contains(string(data), `"mcpServers": {}`) {
		t.Fatalf("Build(nil) = %s, %v", data, err)
	}
	servers := []Server{Supabase("r"), Playwright("", "")}
	data, err = Build(servers)
	if err != nil {
		t.Fatal(err)
	}
	names, err := ServerNames(data)
	if err != nil || !reflect.DeepEqual(names, []string{"playwright", "supabase"}) {
		t.Errorf("ServerNames = %v, %v", names, err)
	}
	if got := AllowedTools(servers); !reflect.DeepEqual(got, []string{"mcp__playwright", "mcp__supabase"}) {
		t.Errorf("AllowedTools = %v", got)
	}
	if _, err := ServerNames([]byte(`{"mcpServers":`)); err == nil {
		t.Error("ServerNames accepted broken JSON")
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	secrets := []string{"sk-env-secret", "Bearer hdr-secret", "pw-secret", "q-secret", "arg-secret", "tok-secret"}
	s := Server{
		Name: "x", Type: TypeHTTP,
		URL:     "https://user:pw-secret@mcp.example.com/mcp?key=q-secret&team=blue",
		Headers: map[string]string{"Authorization": "Bearer hdr-secret"},
		Env:     map[string]string{"API_KEY": "sk-env-secret"},
		Args:    []string{"--api-key=arg-secret", "--token=tok-secret", "--read-only", "--project-ref=abc"},
	}
	r := Redact(s)
	out, _ := json.Marshal(r)
	for _, secret := range secrets {
		if strings.Contains(string(out), secret) {
			t.Errorf("redacted server still shows %q: %s", secret, out)
		}
	}
	for _, keep := range []string{"Authorization", "API_KEY", "mcp.example.com", "user", "--read-only", "--project-ref=abc", "--api-key="} {
		if !strings.Contains(string(out), keep) {
			t.Errorf("redaction lost %q, which is not secret: %s", keep, out)
		}
	}
	if s.Env["API_KEY"] != "sk-env-secret" || s.Args[0] != "--api-key=arg-secret" {
		t.Error("Redact changed its argument")
	}
}

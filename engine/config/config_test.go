package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/orchestrator/pricing"
)

// fixture lays out a home folder and a project with the given config files
// ("" = no file) and returns their paths.
func fixture(t *testing.T, global, project string) (home, root string) {
	t.Helper()
	home, root = t.TempDir(), t.TempDir()
	if global != "" {
		writeFile(t, GlobalFile(home), global)
	}
	if project != "" {
		writeFile(t, ProjectFile(root), project)
	}
	return home, root
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	home, root := fixture(t, "", "")
	c, err := Load(home, root)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load with no files =\n%+v\nwant the built-in defaults\n%+v", c, Default())
	}
	if len(c.Files) != 0 {
		t.Errorf("Files = %v, want none", c.Files)
	}
	want := Defaults{Model: "claude-sonnet-4-5", MaxSessions: 50, MaxTurns: 200, BudgetUSD: 20, AutoContinueDelay: Duration(3 * time.Second), RateLimitBackoff: Duration(30 * time.Second), StuckThreshold: 3}
	if c.Defaults != want {
		t.Errorf("Defaults = %+v, want %+v", c.Defaults, want)
	}
	if c.Version != CurrentVersion || c.Agent.RuntimeVersion != "2.1.331" || c.MCP.Playwright.Version != "0.0.83" || c.MCP.Playwright.Enabled {
		t.Errorf("unexpected defaults: %+v", c)
	}
	// Prices as published (USD per million tokens: input, output, cache write, cache read).
	for _, tc := range []struct {
		id     string
		prices pricing.Prices
	}{
		{"claude-sonnet-4-5", pricing.Prices{Input: 3, Output: 15, CacheWrite: 3.75, CacheRead: 0.30}},
		{"claude-opus-4-5", pricing.Prices{Input: 5, Output: 25, CacheWrite: 6.25, CacheRead: 0.50}},
		{"claude-haiku-4-5", pricing.Prices{Input: 1, Output: 5, CacheWrite: 1.25, CacheRead: 0.10}},
	} {
		m, ok := c.Model(tc.id)
		if !ok || m.Prices != tc.prices || m.Label == "" {
			t.Errorf("Model(%s) = %+v, %v; want prices %+v", tc.id, m, ok, tc.prices)
		}
	}
	// Default must hand out a fresh value each time: callers may change theirs.
	a := Default()
	a.Models[0].Prices.Input = 99
	if Default().Models[0].Prices.Input == 99 {
		t.Error("Default shares its models between calls")
	}
}

func TestModelLookup(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Models = append(c.Models, Model{ID: "claude-sonnet-4-5-20250929", Label: "pinned", Prices: pricing.Prices{Input: 9}})
	for _, tc := range []struct {
		id        string
		wantOK    bool
		wantLabel string
	}{
		{"claude-opus-4-5", true, "Claude Opus 4.5"},
		{"claude-opus-4-5-20251101", true, "Claude Opus 4.5"}, // dated form finds the undated entry
		{"claude-sonnet-4-5-20250929", true, "pinned"},        // an exact entry wins
		{"claude-opus-4", false, ""},
		{"", false, ""},
		{"gpt-4o-20240513", false, ""},
	} {
		m, ok := c.Model(tc.id)
		if ok != tc.wantOK || m.Label != tc.wantLabel {
			t.Errorf("Model(%q) = %+v, %v; want label %q, %v", tc.id, m, ok, tc.wantLabel, tc.wantOK)
		}
	}
}

func TestHome(t *testing.T) {
	t.Setenv("AUTONOMOUS_HOME", "/srv/auto")
	if got := Home(); got != "/srv/auto" {
		t.Errorf("Home() = %q with AUTONOMOUS_HOME set", got)
	}
	t.Setenv("AUTONOMOUS_HOME", "")
	t.Setenv("HOME", "/home/someone")
	if got := Home(); got != "/home/someone/.autonomous-coding" {
		t.Errorf("Home() = %q, want ~/.autonomous-coding", got)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	home, root := fixture(t, `
version: 2
agent:
  cliPath: /opt/claude/bin/claude
models:
  - id: claude-sonnet-4-5
    prices: {input: 2.5}          # a negotiated price; the rest stays
  - id: gateway-model
    label: Gateway
    prices: {input: 1, output: 2}
defaults:
  budgetUsd: 5
  maxSessions: 10
  autoContinueDelay: 10s
mcp:
  playwright: {enabled: true, executablePath: /usr/bin/chromium}
  servers:
    - name: docs
      command: npx
      args: [-y, docs-mcp]
      env: {DOCS_TOKEN_ENV: DOCS_TOKEN}
security:
  allow: [make]
  deny: ["git push"]
`, `
defaults:
  budgetUsd: 7.5
  model: gateway-model
mcp:
  playwright: {enabled: false}
  servers:
    - name: docs
      env: {DOCS_REGION: eu}
    - name: api
      url: https://mcp.example.com/mcp
      headers: {X-Team: core}
security:
  allow: [cargo, make]
  deny: ["npm publish"]
  writablePaths: [/tmp/build]
`)
	c, err := Load(home, root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{GlobalFile(home), ProjectFile(root)}; !reflect.DeepEqual(c.Files, want) {
		t.Errorf("Files = %v, want %v", c.Files, want)
	}
	wantDefaults := Defaults{Model: "gateway-model", MaxSessions: 10, MaxTurns: 200, BudgetUSD: 7.5, AutoContinueDelay: Duration(10 * time.Second), RateLimitBackoff: Duration(30 * time.Second), StuckThreshold: 3}
	if c.Defaults != wantDefaults {
		t.Errorf("Defaults = %+v\nwant       %+v", c.Defaults, wantDefaults)
	}
	if c.Agent != (Agent{CLIPath: "/opt/claude/bin/claude", RuntimeVersion: "2.1.331"}) {
		t.Errorf("Agent = %+v", c.Agent)
	}
	var ids []string
	for _, m := range c.Models {
		ids = append(ids, m.ID)
	}
	if want := []string{"claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5", "gateway-model"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("model ids = %v, want %v", ids, want)
	}
	if m, _ := c.Model("claude-sonnet-4-5"); m.Prices != (pricing.Prices{Input: 2.5, Output: 15, CacheWrite: 3.75, CacheRead: 0.30}) || m.Label != "Claude Sonnet 4.5" {
		t.Errorf("sonnet = %+v, want only its input price changed", m)
	}
	if c.MCP.Playwright != (Playwright{Enabled: false, Version: "0.0.83", ExecutablePath: "/usr/bin/chromium"}) {
		t.Errorf("Playwright = %+v", c.MCP.Playwright)
	}
	wantServers := []Server{
		{Name: "docs", Type: ServerStdio, Command: "npx", Args: []string{"-y", "docs-mcp"}, Env: map[string]string{"DOCS_TOKEN_ENV": "DOCS_TOKEN", "DOCS_REGION": "eu"}},
		{Name: "api", Type: ServerHTTP, URL: "https://mcp.example.com/mcp", Headers: map[string]string{"X-Team": "core"}},
	}
	if !reflect.DeepEqual(c.MCP.Servers, wantServers) {
		t.Errorf("Servers =\n%+v\nwant\n%+v", c.MCP.Servers, wantServers)
	}
	wantSecurity := Security{
		Allow:         []string{"make", "cargo"},
		Deny:          []string{"git push", "npm publish"},
		WritablePaths: []string{"/tmp/build"},
	}
	if !reflect.DeepEqual(c.Security, wantSecurity) {
		t.Errorf("Security = %+v\nwant       %+v", c.Security, wantSecurity)
	}
}

func TestEmptyAndNullValuesKeepInherited(t *testing.T) {
	t.Parallel()
	home, root := fixture(t, "defaults:\n  budgetUsd: 5\n", "# nothing here yet\ndefaults:\n  budgetUsd:\nmcp:\n")
	c, err := Load(home, root)
	if err != nil {
		t.Fatal(err)
	}
	if c.Defaults.BudgetUSD != 5 {
		t.Errorf("budget = %v, want the global 5 kept by an empty project value", c.Defaults.BudgetUSD)
	}
}

// TestLoadErrors: each problem is reported as path:line: key: what to do,
// and a failed load changes no file.
func TestLoadErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		global, project string
		want            []string // substrings; "G" and "P" stand for the file paths
	}{
		{
			name:   "unknown top-level key",
			global: "version: 2\nmodle: x\n",
			want:   []string{`G:2: modle: unknown key (did you mean "models"?)`},
		},
		{
			name:    "unknown nested key",
			project: "defaults:\n  maxSesions: 3\n",
			want:    []string{`P:2: defaults.maxSesions: unknown key (did you mean "maxSessions"?)`},
		},
		{
			name:    "key in the wrong case",
			project: "defaults:\n  budgetUSD: 3\n",
			want:    []string{`P:2: defaults.budgetUSD: unknown key (did you mean "budgetUsd"? keys are case-sensitive)`},
		},
		{
			name:    "unknown key in a list entry",
			project: "mcp:\n  servers:\n    - name: x\n      cmd: y\n",
			want:    []string{`P:4: mcp.servers[x].cmd: unknown key (did you mean "command"?)`},
		},
		{
			name:   "whole number wanted",
			global: "defaults:\n  maxSessions: many\n",
			want:   []string{`G:2: defaults.maxSessions: want a whole number, got "many"`},
		},
		{
			name:   "fraction for a whole number",
			global: "defaults:\n  maxTurns: 2.5\n",
			want:   []string{`G:2: defaults.maxTurns: want a whole number, got "2.5"`},
		},
		{
			name:    "bool wanted",
			project: "mcp:\n  playwright:\n    enabled: sometimes\n",
			want:    []string{`P:3: mcp.playwright.enabled: want true or false, got "sometimes"`},
		},
		{
			name:    "duration without unit",
			project: "defaults:\n  autoContinueDelay: 3\n",
			want:    []string{`P:2: defaults.autoContinueDelay: want a duration such as 3s or 1m30s, got "3"`},
		},
		{
			name:    "list wanted",
			project: "mcp:\n  servers: docs\n",
			want:    []string{`P:2: mcp.servers: want a list, got "docs"`},
		},
		{
			name:    "section wanted",
			project: "defaults: fast\n",
			want:    []string{`P:1: defaults: want a section of keys (key: value), got "fast"`},
		},
		{
			name:    "text wanted",
			project: "agent:\n  cliPath: [a, b]\n",
			want:    []string{`P:2: agent.cliPath: want a text value, got a list`},
		},
		{
			name:   "syntax error",
			global: "defaults:\n  model: a\n   budgetUsd: 3\n",
			want:   []string{"G:3: mapping values are not allowed"},
		},
		{
			name:    "key set twice",
			project: "defaults:\n  budgetUsd: 3\n  budgetUsd: 4\n",
			want:    []string{"P:3: defaults.budgetUsd: set twice (first on line 2): keep one"},
		},
		{
			name:    "server listed twice",
			project: "mcp:\n  servers:\n    - {name: a, command: x}\n    - {name: a, command: y}\n",
			want:    []string{"P:4: mcp.servers[a]: listed twice (first on line 3)"},
		},
		{
			name:    "server without a name",
			project: "mcp:\n  servers:\n    - command: x\n",
			want:    []string{"P:3: mcp.servers: an entry has no name"},
		},
		{
			name:   "negative budget",
			global: "defaults:\n  budgetUsd: -1\n",
			want:   []string{"G:2: defaults.budgetUsd: cannot be negative, got -1 (0 means no budget)"},
		},
		{
			name:    "negative price",
			project: "models:\n  - id: claude-haiku-4-5\n    prices:\n      output: -5\n",
			want:    []string{"P:4: models[claude-haiku-4-5].prices.output: a price cannot be negative"},
		},
		{
			name:    "unknown default model",
			global:  "models:\n  - id: gateway\n",
			project: "version: 2\ndefaults:\n  model: claude-sonet-4-5\n",
			want:    []string{`P:3: defaults.model: unknown model "claude-sonet-4-5": use one of claude-sonnet-4-5, claude-opus-4-5, claude-haiku-4-5, gateway`},
		},
		{
			name:    "stdio server without command",
			global:  "mcp:\n  servers:\n    - name: docs\n      args: [x]\n",
			project: "mcp:\n  servers:\n    - name: docs\n      env: {A: b}\n",
			want:    []string{"P:3: mcp.servers[docs]: a stdio server needs a command"},
		},
		{
			name:    "http server without url",
			project: "mcp:\n  servers:\n    - name: api\n      type: http\n",
			want:    []string{"P:3: mcp.servers[api]: an http server needs a url"},
		},
		{
			name:    "http server with a bad url",
			project: "mcp:\n  servers:\n    - name: api\n      url: ftp://x\n",
			want:    []string{`P:4: mcp.servers[api].url: want an http:// or https:// URL, got "ftp://x"`},
		},
		{
			name:    "server of unknown type",
			project: "mcp:\n  servers:\n    - {name: api, type: grpc, url: http://x}\n",
			want:    []string{`P:3: mcp.servers[api].type: want stdio, http or sse, got "grpc"`},
		},
		{
			name:    "server named like a built-in",
			project: "mcp:\n  servers:\n    - {name: playwright, command: npx}\n",
			want:    []string{`mcp.servers[playwright].name: "playwright" is the built-in server: configure it under mcp.playwright`},
		},
		{
			name:    "relative browser path",
			project: "mcp:\n  playwright: {enabled: true, executablePath: chromium}\n",
			want:    []string{`P:2: mcp.playwright.executablePath: want an absolute path`},
		},
		{
			name:    "allow entry with arguments",
			project: "security:\n  allow: [make, rm -rf]\n",
			want:    []string{`P:2: security.allow: want a bare command name such as make, got "rm -rf"`},
		},
		{
			name:    "empty deny entry",
			project: "security:\n  deny: ['']\n",
			want:    []string{"P:2: security.deny: an entry is empty"},
		},
		{
			name:    "unsafe runtime version",
			project: "agent:\n  runtimeVersion: 1.0; rm -rf /\n",
			want:    []string{`P:2: agent.runtimeVersion: want a version of @anthropic-ai/claude-code`},
		},
		{
			name:   "newer version",
			global: "version: 3\ndefaults: {budgetUsd: 1}\n",
			want:   []string{"G:1: version: version 3 is newer than this autonomous understands (2): upgrade autonomous"},
		},
		{
			name:    "version zero",
			project: "version: 0\n",
			want:    []string{"P:1: version: there is no version 0"},
		},
		{
			name:    "aliases",
			project: "defaults: &d\n  budgetUsd: 1\nmcp: *d\n",
			want:    []string{"P:3: mcp: anchors and aliases (*name) are not supported"},
		},
		{
			name:    "a list at the top",
			project: "- a\n- b\n",
			want:    []string{"P:1: want a section of keys (key: value) at the top, got a list"},
		},
		{
			name:    "problems in both files, all reported",
			global:  "defaults:\n  maxSessions: x\n",
			project: "security:\n  pkil: [node]\n",
			want:    []string{`G:2: defaults.maxSessions: want a whole number`, `P:2: security.pkil: unknown key (did you mean "pkill"?)`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home, root := fixture(t, tc.global, tc.project)
			c, err := Load(home, root)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			msg := err.Error()
			for _, w := range tc.want {
				w = strings.NewReplacer("G:", GlobalFile(home)+":", "P:", ProjectFile(root)+":").Replace(w)
				if !strings.Contains(msg, w) {
					t.Errorf("error\n%s\ndoes not contain\n%s", msg, w)
				}
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File == "" || ce.Line == 0 {
				t.Errorf("error %v carries no *Error with file and line", err)
			}
			// Nothing is rewritten or added next to the files.
			for dir, content := range map[string]string{home: tc.global, filepath.Dir(ProjectFile(root)): tc.project} {
				entries, _ := os.ReadDir(dir)
				if content != "" && (len(entries) != 1 || readFile(t, filepath.Join(dir, FileName)) != content) {
					t.Errorf("Load changed %s: %v", dir, entries)
				}
			}
		})
	}
}

func TestMigrateV1(t *testing.T) {
	t.Parallel()
	original, err := os.ReadFile("../../testdata/config/v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	home, root := fixture(t, string(original), "")
	c, err := Load(home, root)
	if err != nil {
		t.Fatal(err)
	}
	global := GlobalFile(home)
	backup := global + ".v1.bak"
	if got := readFile(t, backup); got != string(original) {
		t.Errorf("backup differs from the original:\n%s", got)
	}
	if len(c.Notices) != 1 || !strings.Contains(c.Notices[0], backup) {
		t.Errorf("Notices = %q, want one naming the backup", c.Notices)
	}
	// v1: model, maxSessions, budget, prices, allowedCommands.
	wantDefaults := Defaults{Model: "claude-opus-4-5", MaxSessions: 30, MaxTurns: 200, BudgetUSD: 12.5, AutoContinueDelay: Duration(3 * time.Second), RateLimitBackoff: Duration(30 * time.Second), StuckThreshold: 3}
	if c.Defaults != wantDefaults {
		t.Errorf("Defaults = %+v\nwant       %+v", c.Defaults, wantDefaults)
	}
	if !reflect.DeepEqual(c.Security.Allow, []string{"make", "cargo"}) {
		t.Errorf("Security.Allow = %v", c.Security.Allow)
	}
	for id, want := range map[string]pricing.Prices{
		"claude-opus-4-5":   {Input: 5, Output: 25, CacheWrite: 6.25, CacheRead: 0.5},
		"claude-sonnet-4-5": {Input: 3, Output: 15, CacheWrite: 3.75, CacheRead: 0.3},
		"my-gateway-model":  {Input: 2, Output: 8, CacheWrite: 2.5, CacheRead: 0.2},
	} {
		if m, ok := c.Model(id); !ok || m.Prices != want {
			t.Errorf("Model(%s) = %+v, %v; want prices %+v", id, m, ok, want)
		}
	}
	rewritten := readFile(t, global)
	for _, want := range []string{"version: 2\n", "# the model new workflows use\n  model: claude-opus-4-5", "budgetUsd: 12.5 # USD per workflow", "# autonomous configuration (written by autonomous 0.x)"} {
		if !strings.Contains(rewritten, want) {
			t.Errorf("migrated file lacks %q:\n%s", want, rewritten)
		}
	}

	// Loading again reads the migrated file as it is.
	again, err := Load(home, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Notices) != 0 || readFile(t, global) != rewritten {
		t.Errorf("a second Load migrated again: %q", again.Notices)
	}
	c.Notices = nil
	if !reflect.DeepEqual(again, c) {
		t.Errorf("second Load =\n%+v\nfirst\n%+v", again, c)
	}
}

func TestMigrateV1KeepsOlderBackups(t *testing.T) {
	t.Parallel()
	home, _ := fixture(t, "version: 1\nbudget: 3\n", "")
	writeFile(t, GlobalFile(home)+".v1.bak", "version: 1\nbudget: 99\n")
	c, err := Load(home, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Defaults.BudgetUSD != 3 {
		t.Errorf("budget = %v", c.Defaults.BudgetUSD)
	}
	if got := readFile(t, GlobalFile(home)+".v1.bak"); got != "version: 1\nbudget: 99\n" {
		t.Errorf("the older backup was overwritten: %q", got)
	}
	if got := readFile(t, GlobalFile(home)+".v1.bak.2"); got != "version: 1\nbudget: 3\n" {
		t.Errorf("new backup = %q", got)
	}
}

func TestMigrateV1Refused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, content, want string }{
		{"unknown key", "version: 1\nmodel: claude-opus-4-5\nbudgetUsd: 3\n", `:3: budgetUsd: unknown key (did you mean "budget"?)`},
		{"wrong type", "version: 1\nmaxSessions: lots\n", `:2: maxSessions: want a whole number, got "lots"`},
		{"price key", "version: 1\nprices:\n  m: {input: 1, cacheRead: 2}\n", `:3: prices.m.cacheRead: unknown key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home, _ := fixture(t, tc.content, "")
			_, err := Load(home, "")
			if err == nil || !strings.Contains(err.Error(), GlobalFile(home)+tc.want) {
				t.Fatalf("Load = %v, want %q", err, tc.want)
			}
			if readFile(t, GlobalFile(home)) != tc.content {
				t.Error("a refused migration rewrote the file")
			}
			if _, err := os.Stat(GlobalFile(home) + ".v1.bak"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused migration wrote a backup (%v)", err)
			}
		})
	}
}

const commented = `# Team settings for this repository.
version: 2

defaults:
  # Opus for the hard parts.
  model: claude-opus-4-5
  budgetUsd: 20 # 0 = no budget
  maxSessions: 40

security:
  deny: ["git push"] # never push from an agent
`

func TestSetRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key   string
		value any
		check func(c *Config) bool
		keep  []string // lines of the original that must survive
	}{
		{"defaults.budgetUsd", 5.5, func(c *Config) bool { return c.Defaults.BudgetUSD == 5.5 }, []string{"budgetUsd: 5.5 # 0 = no budget", "# Opus for the hard parts.", "maxSessions: 40"}},
		{"defaults.budgetUsd", "7", func(c *Config) bool { return c.Defaults.BudgetUSD == 7 }, []string{"budgetUsd: 7 # 0 = no budget"}},
		{"defaults.model", "claude-haiku-4-5", func(c *Config) bool { return c.Defaults.Model == "claude-haiku-4-5" }, []string{"# Opus for the hard parts.\n  model: claude-haiku-4-5"}},
		{"defaults.maxSessions", 12, func(c *Config) bool { return c.Defaults.MaxSessions == 12 }, []string{"# Team settings for this repository."}},
		{"defaults.autoContinueDelay", 90 * time.Second, func(c *Config) bool { return c.Defaults.AutoContinueDelay.Duration() == 90*time.Second }, []string{"autoContinueDelay: 1m30s"}},
		{"defaults.autoContinueDelay", "10s", func(c *Config) bool { return c.Defaults.AutoContinueDelay.Duration() == 10*time.Second }, nil},
		{"mcp.playwright.enabled", true, func(c *Config) bool { return c.MCP.Playwright.Enabled }, []string{"mcp:\n  playwright:\n    enabled: true"}},
		{"mcp.playwright.enabled", "true", func(c *Config) bool { return c.MCP.Playwright.Enabled }, nil},
		{"security.allow", []string{"make", "cargo"}, func(c *Config) bool { return reflect.DeepEqual(c.Security.Allow, []string{"make", "cargo"}) }, []string{`deny: ["git push"] # never push from an agent`}},
		{"security.allow", "[make, go]", func(c *Config) bool { return reflect.DeepEqual(c.Security.Allow, []string{"make", "go"}) }, nil},
		{"security.pkill", "vite", func(c *Config) bool { return reflect.DeepEqual(c.Security.Pkill, []string{"vite"}) }, nil},
		{"agent.runtimeVersion", "2.1.400", func(c *Config) bool { return c.Agent.RuntimeVersion == "2.1.400" }, nil},
		{"defaults.model", nil, func(c *Config) bool { return c.Defaults.Model == "claude-sonnet-4-5" }, []string{"budgetUsd: 20 # 0 = no budget"}},
		{"models", []Model{{ID: "gw", Prices: pricing.Prices{Input: 1}}}, func(c *Config) bool { _, ok := c.Model("gw"); return ok }, nil},
	} {
		t.Run(tc.key+"="+strings.ReplaceAll(fmtValue(tc.value), "/", "|"), func(t *testing.T) {
			t.Parallel()
			home, root := fixture(t, "", commented)
			path := ProjectFile(root)
			if err := Set(path, tc.key, tc.value); err != nil {
				t.Fatal(err)
			}
			got := readFile(t, path)
			c, err := Load(home, root)
			if err != nil {
				t.Fatalf("Load after Set: %v\n%s", err, got)
			}
			if !tc.check(c) {
				t.Errorf("Set %s = %v did not take:\n%s", tc.key, tc.value, got)
			}
			for _, keep := range append(tc.keep, "# Team settings for this repository.", "# never push from an agent") {
				if !strings.Contains(got, keep) {
					t.Errorf("after Set, the file lacks %q:\n%s", keep, got)
				}
			}
		})
	}
}

func fmtValue(v any) string {
	return strings.ReplaceAll(fmt.Sprint(v), " ", "_")
}

func TestSetCreatesFile(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	path := GlobalFile(filepath.Join(home, "new-home"))
	if err := Set(path, "mcp.playwright.executablePath", "/usr/bin/chromium"); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	if want := "version: 2\nmcp:\n  playwright:\n    executablePath: /usr/bin/chromium\n"; got != want {
		t.Errorf("new file =\n%s\nwant\n%s", got, want)
	}
	c, err := Load(filepath.Dir(path), "")
	if err != nil || c.MCP.Playwright.ExecutablePath != "/usr/bin/chromium" {
		t.Fatalf("Load = %+v, %v", c, err)
	}
}

func TestSetMigratesV1(t *testing.T) {
	t.Parallel()
	original := "version: 1\nmodel: claude-haiku-4-5 # cheap\n"
	home, _ := fixture(t, original, "")
	path := GlobalFile(home)
	if err := Set(path, "defaults.budgetUsd", 3); err != nil {
		t.Fatal(err)
	}
	if readFile(t, path+".v1.bak") != original {
		t.Error("no backup of the version 1 file")
	}
	c, err := Load(home, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Defaults.Model != "claude-haiku-4-5" || c.Defaults.BudgetUSD != 3 || len(c.Notices) != 0 {
		t.Errorf("after Set on a v1 file: %+v", c)
	}
	if !strings.Contains(readFile(t, path), "model: claude-haiku-4-5 # cheap") {
		t.Errorf("comment lost:\n%s", readFile(t, path))
	}
}

// TestSetProjectUsesGlobalModels: a project may pick a model only the global
// file defines.
func TestSetProjectUsesGlobalModels(t *testing.T) {
	home, root := fixture(t, "models:\n  - id: gateway\n", "")
	t.Setenv("AUTONOMOUS_HOME", home)
	if err := Set(ProjectFile(root), "defaults.model", "gateway"); err != nil {
		t.Fatal(err)
	}
	if err := Set(ProjectFile(root), "defaults.model", "nowhere"); err == nil {
		t.Error("Set accepted a model no file defines")
	}
}

func TestSetRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		start string // "" = no file
		key   string
		value any
		want  string
	}{
		{"negative budget", commented, "defaults.budgetUsd", -3, "defaults.budgetUsd: cannot be negative"},
		{"negative budget as text", "", "defaults.budgetUsd", "-3", "defaults.budgetUsd: cannot be negative"},
		{"unknown key", commented, "defaults.budget", 3, `unknown key "budget" (did you mean "budgetUsd"?)`},
		{"unknown section", commented, "defualts.model", "x", `unknown key "defualts" (did you mean "defaults"?)`},
		{"a section", commented, "defaults", 3, "defaults is a section: set one of its keys: autoContinueDelay, budgetUsd"},
		{"below a value", commented, "defaults.model.id", "x", `defaults.model is a single value: it has no key "id"`},
		{"version", commented, "version", 3, "the version is managed by autonomous"},
		{"wrong type", commented, "defaults.maxSessions", "many", `want a whole number, got "many"`},
		{"wrong Go type", commented, "mcp.playwright.enabled", 1, "want true or false"},
		{"bad duration", commented, "defaults.autoContinueDelay", "soon", `want a duration such as 3s or 1m30s, got "soon"`},
		{"unknown model", commented, "defaults.model", "claude-sonet-4-5", `unknown model "claude-sonet-4-5"`},
		{"server without command", "", "mcp.servers", "[{name: docs}]", "mcp.servers[docs]: a stdio server needs a command"},
		{"broken file", "defaults:\n  model: a\n   x: 1\n", "defaults.budgetUsd", 3, ":3: mapping values are not allowed"},
		{"newer file", "version: 9\n", "defaults.budgetUsd", 3, "version 9 is newer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "config.yaml")
			if tc.start != "" {
				writeFile(t, path, tc.start)
			}
			err := Set(path, tc.key, tc.value)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Set(%s, %v) = %v, want an error containing %q", tc.key, tc.value, err, tc.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if tc.start == "" {
				if len(entries) != 0 {
					t.Errorf("a refused Set created files: %v", entries)
				}
				return
			}
			if len(entries) != 1 || readFile(t, path) != tc.start {
				t.Errorf("a refused Set changed the folder or the file: %v\n%s", entries, readFile(t, path))
			}
		})
	}
}

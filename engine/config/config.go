// Package config loads the user's configuration: the global file in the
// tool's home folder, overridden field by field by the project's
// .autonomous/config.yaml, over built-in defaults.
//
// Files are read strictly: an unknown key, a value of the wrong type or an
// impossible value is an error naming the file, the line and the key, never a
// silently ignored setting. Older file versions are migrated forward on load,
// with a backup of the original kept next to it.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/autonomous-coding/autonomous/orchestrator/pricing"
	"gopkg.in/yaml.v3"
)

// CurrentVersion is the version of the file format this package writes.
const CurrentVersion = 2

// FileName is the name of both the global and the project config file.
const FileName = "config.yaml"

// Config is the configuration in force for one project.
//
// A `merge` tag says how a list in a later file combines with the same list
// in an earlier one: "id" and "name" merge entries with the same id or name
// field by field and append new ones; "append" concatenates. Other lists are
// replaced whole.
type Config struct {
	Version  int      `yaml:"version" json:"version"`
	Agent    Agent    `yaml:"agent" json:"agent"`
	Models   []Model  `yaml:"models" json:"models" merge:"id"`
	Defaults Defaults `yaml:"defaults" json:"defaults"`
	MCP      MCP      `yaml:"mcp" json:"mcp"`
	Security Security `yaml:"security" json:"security"`

	// Files are the config files merged into this configuration, global
	// first; built-in defaults are under them all.
	Files []string `yaml:"-" json:"files,omitempty"`
	// Notices are things Load did that the user should hear of, such as a
	// migration of an old file.
	Notices []string `yaml:"-" json:"notices,omitempty"`
}

// Agent says which agent CLI to run.
type Agent struct {
	// CLIPath is an explicit path to the claude CLI; when empty, the managed
	// runtime is used, else the one on PATH.
	CLIPath string `yaml:"cliPath" json:"cliPath"`
	// RuntimeVersion is the @anthropic-ai/claude-code version the managed
	// runtime installs.
	RuntimeVersion string `yaml:"runtimeVersion" json:"runtimeVersion"`
}

// Model is a model the agent may use, with its prices.
type Model struct {
	ID     string         `yaml:"id" json:"id"`
	Label  string         `yaml:"label" json:"label"`
	Prices pricing.Prices `yaml:"prices" json:"prices"` // USD per million tokens
}

// Defaults are the settings a new workflow starts with. A zero limit means
// no limit.
type Defaults struct {
	Model             string   `yaml:"model" json:"model"`
	MaxSessions       int      `yaml:"maxSessions" json:"maxSessions"`
	MaxTurns          int      `yaml:"maxTurns" json:"maxTurns"`
	BudgetUSD         float64  `yaml:"budgetUsd" json:"budgetUsd"`
	AutoContinueDelay Duration `yaml:"autoContinueDelay" json:"autoContinueDelay"`
	// RateLimitBackoff is the first wait after a rate limit the agent gave
	// no reset time for; it doubles on each limit in a row.
	RateLimitBackoff Duration `yaml:"rateLimitBackoff" json:"rateLimitBackoff"`
	// StuckThreshold is how many coding sessions in a row may pass without
	// a new passing feature before the workflow is stuck.
	StuckThreshold int `yaml:"stuckThreshold" json:"stuckThreshold"`
}

// MCP lists the MCP servers given to the agent.
type MCP struct {
	Playwright Playwright `yaml:"playwright" json:"playwright"`
	Supabase   Supabase   `yaml:"supabase" json:"supabase"`
	Servers    []Server   `yaml:"servers" json:"servers" merge:"name"`
}

// Playwright is the browser MCP server (@playwright/mcp).
type Playwright struct {
	Enabled bool   `yaml:"enabled" json:"enabled"`
	Version string `yaml:"version" json:"version"`
	// ExecutablePath is a system browser to use, such as /usr/bin/chromium.
	ExecutablePath string `yaml:"executablePath" json:"executablePath"`
}

// Supabase is the Supabase MCP server. It holds the names of the variables
// the project ref and the access token are read from, never the secrets.
type Supabase struct {
	Enabled        bool   `yaml:"enabled" json:"enabled"`
	ProjectRefEnv  string `yaml:"projectRefEnv" json:"projectRefEnv"`
	AccessTokenEnv string `yaml:"accessTokenEnv" json:"accessTokenEnv"`
}

// Server types.
const (
	ServerStdio = "stdio"
	ServerHTTP  = "http"
	ServerSSE   = "sse"
)

// Server is a custom MCP server: a command (stdio) or a URL (http, sse).
type Server struct {
	Name    string            `yaml:"name" json:"name"`
	Type    string            `yaml:"type" json:"type"` // stdio, http or sse; guessed from command or url when empty
	Command string            `yaml:"command" json:"command,omitempty"`
	Args    []string          `yaml:"args" json:"args,omitempty"`
	Env     map[string]string `yaml:"env" json:"env,omitempty"`
	URL     string            `yaml:"url" json:"url,omitempty"`
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
}

// Security adds to the agent's bash policy. A deny always wins over an allow.
type Security struct {
	Allow         []string `yaml:"allow" json:"allow" merge:"append"`                 // extra command names the agent may run
	Deny          []string `yaml:"deny" json:"deny" merge:"append"`                   // command prefixes always refused, such as "git push"
	WritablePaths []string `yaml:"writablePaths" json:"writablePaths" merge:"append"` // places outside the worktree writes may go to
	Pkill         []string `yaml:"pkill" json:"pkill" merge:"append"`                 // extra process names pkill may target
}

// Duration is a time.Duration written as a Go duration string ("3s", "1m30s").
type Duration time.Duration

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads a duration string; a bare number is refused because
// its unit would be a guess.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration such as 3s")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("want a duration such as 3s or 1m30s, got %q", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// Home is the per-user folder of the tool: $AUTONOMOUS_HOME, else
// ~/.autonomous-coding.
func Home() string {
	if h := os.Getenv("AUTONOMOUS_HOME"); h != "" {
		return h
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".autonomous-coding"
	}
	return filepath.Join(home, ".autonomous-coding")
}

// GlobalFile is the global config file in home.
func GlobalFile(home string) string { return filepath.Join(home, FileName) }

// ProjectFile is the config file of the project whose root is root.
func ProjectFile(root string) string { return filepath.Join(root, ".autonomous", FileName) }

// Default returns the built-in configuration, in force where no file says
// otherwise. Prices are USD per million tokens, as published for each model.
func Default() *Config {
	return &Config{
		Version: CurrentVersion,
		Agent:   Agent{RuntimeVersion: "2.1.331"},
		Models: []Model{
			{ID: "claude-sonnet-4-5", Label: "Claude Sonnet 4.5", Prices: pricing.Prices{Input: 3, Output: 15, CacheWrite: 3.75, CacheRead: 0.30}},
			{ID: "claude-opus-4-5", Label: "Claude Opus 4.5", Prices: pricing.Prices{Input: 5, Output: 25, CacheWrite: 6.25, CacheRead: 0.50}},
			{ID: "claude-haiku-4-5", Label: "Claude Haiku 4.5", Prices: pricing.Prices{Input: 1, Output: 5, CacheWrite: 1.25, CacheRead: 0.10}},
		},
		Defaults: Defaults{
			Model:             "claude-sonnet-4-5",
			MaxSessions:       50,
			MaxTurns:          200,
			BudgetUSD:         20,
			AutoContinueDelay: Duration(3 * time.Second),
			RateLimitBackoff:  Duration(30 * time.Second),
			StuckThreshold:    3,
		},
		MCP: MCP{
			Playwright: Playwright{Version: "0.0.83"},
			Supabase:   Supabase{ProjectRefEnv: "SUPABASE_PROJECT_REF", AccessTokenEnv: "SUPABASE_ACCESS_TOKEN"},
		},
	}
}

var datedModel = regexp.MustCompile(`-\d{8}$`)

// Model returns the configured model with this id. The agent reports dated
// ids ("claude-sonnet-4-5-20250929"); they find the undated entry when no
// entry has the dated id itself.
func (c *Config) Model(id string) (Model, bool) {
	for _, m := range c.Models {
		if m.ID == id {
			return m, true
		}
	}
	if undated := datedModel.ReplaceAllString(id, ""); undated != id {
		return c.Model(undated)
	}
	return Model{}, false
}

// Package mcp builds the file given to the Claude Code CLI with --mcp-config:
// the MCP servers an agent session may use, and the tool names to allow.
//
// Secrets do not belong in that file: the CLI starts stdio servers with its
// own environment (checked with the CLI 2.1.331), so tokens such as
// SUPABASE_ACCESS_TOKEN reach a server from the environment the engine runs
// in. Env and Headers are for values that are not secret, or that the user
// chose to put in the config; Redact hides their values before anything is
// logged.
package mcp

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Pinned package versions, so that a session does not change behaviour when
// a new release is published. Bump them deliberately.
const (
	PlaywrightVersion = "0.0.83"
	SupabaseVersion   = "0.13.0"
)

// Server types.
const (
	TypeStdio = "stdio"
	TypeHTTP  = "http"
)

// Server is one MCP server a session may use.
type Server struct {
	// Name is the key in the config and the middle of the tool names
	// (mcp__<name>__<tool>): letters, digits, '_' and '-'.
	Name string `json:"name" yaml:"name"`
	// Type is "stdio" (the default) or "http".
	Type    string            `json:"type,omitempty" yaml:"type,omitempty"`
	Command string            `json:"command,omitempty" yaml:"command,omitempty"`
	Args    []string          `json:"args,omitempty" yaml:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty" yaml:"env,omitempty"`
	URL     string            `json:"url,omitempty" yaml:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
}

// Playwright is the Playwright MCP server (browser automation, used to verify
// web features end to end), headless and with a fresh profile per session.
// version "" means PlaywrightVersion; executablePath, when set, is the browser
// to drive (e.g. Debian's /usr/bin/chromium) instead of a downloaded one.
func Playwright(version, executablePath string) Server {
	if version == "" {
		version = PlaywrightVersion
	}
	args := []string{"-y", "@playwright/mcp@" + version, "--headless", "--isolated"}
	if executablePath != "" {
		args = append(args, "--executable-path", executablePath)
	}
	return Server{Name: "playwright", Type: TypeStdio, Command: "npx", Args: args}
}

// Supabase is the Supabase MCP server, read-only, for one project. Its access
// token is not written anywhere: the server reads SUPABASE_ACCESS_TOKEN from
// the environment it inherits.
func Supabase(projectRef string) Server {
	return Server{Name: "supabase", Type: TypeStdio, Command: "npx", Args: []string{
		"-y", "@supabase/mcp-server-supabase@" + SupabaseVersion, "--read-only", "--project-ref=" + projectRef,
	}}
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Validate reports what is wrong with s, if anything.
func (s Server) Validate() error {
	if !validName.MatchString(s.Name) {
		return fmt.Errorf("MCP server name %q: use letters, digits, '_' and '-' only", s.Name)
	}
	switch s.Type {
	case "", TypeStdio:
		if strings.TrimSpace(s.Command) == "" {
			return fmt.Errorf("MCP server %q: a stdio server needs a command", s.Name)
		}
		if s.URL != "" || len(s.Headers) > 0 {
			return fmt.Errorf("MCP server %q: url and headers are for http servers, not stdio", s.Name)
		}
	case TypeHTTP:
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("MCP server %q: an http server needs an http(s) url, got %q", s.Name, Redact(s).URL)
		}
		if s.Command != "" || len(s.Args) > 0 || len(s.Env) > 0 {
			return fmt.Errorf("MCP server %q: command, args and env are for stdio servers, not http", s.Name)
		}
	default:
		return fmt.Errorf("MCP server %q: unknown type %q (want %q or %q)", s.Name, s.Type, TypeStdio, TypeHTTP)
	}
	return nil
}

// entry is a server as the CLI's config file spells it.
type entry struct {
	Type    string            `json:"type"`
	Command string            `json:"command,omitempty"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

// Build returns the --mcp-config file for servers: {"mcpServers":{...}}.
// Every server is validated, and names must be unique.
func Build(servers []Server) ([]byte, error) {
	m := make(map[string]entry, len(servers))
	for _, s := range servers {
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("build MCP config: %w", err)
		}
		if _, dup := m[s.Name]; dup {
			return nil, fmt.Errorf("build MCP config: two MCP servers are named %q", s.Name)
		}
		typ := s.Type
		if typ == "" {
			typ = TypeStdio
		}
		m[s.Name] = entry{Type: typ, Command: s.Command, Args: s.Args, Env: s.Env, URL: s.URL, Headers: s.Headers}
	}
	data, err := json.MarshalIndent(struct {
		MCPServers map[string]entry `json:"mcpServers"`
	}{m}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("build MCP config: %w", err)
	}
	return append(data, '\n'), nil
}

// AllowedTools returns the --allowedTools entries that allow every tool of
// each server ("mcp__<name>"), sorted.
func AllowedTools(servers []Server) []string {
	tools := make([]string, 0, len(servers))
	for _, s := range servers {
		tools = append(tools, "mcp__"+s.Name)
	}
	sort.Strings(tools)
	return tools
}

// ServerNames lists the servers of a --mcp-config file, sorted.
func ServerNames(config []byte) ([]string, error) {
	var f struct {
		MCPServers map[string]json.RawMessage `json:"mcpServers"`
	}
	if err := json.Unmarshal(config, &f); err != nil {
		return nil, fmt.Errorf("read MCP config: %w", err)
	}
	names := make([]string, 0, len(f.MCPServers))
	for name := range f.MCPServers {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// Redacted replaces a secret value in what Redact returns.
const Redacted = "<redacted>"

var secretArg = regexp.MustCompile(`(?i)^(--?[a-z0-9_-]*(token|key|secret|password|passwd|auth|credential)[a-z0-9_-]*=).+$`)

// Redact returns a copy of s that is safe to log: env and header values,
// the password and query of the URL, and the values of arguments whose name
// looks secret (--api-key=..., --token=...) are replaced by Redacted.
func Redact(s Server) Server {
	r := s
	if s.Env != nil {
		r.Env = make(map[string]string, len(s.Env))
		for k := range s.Env {
			r.Env[k] = Redacted
		}
	}
	if s.Headers != nil {
		r.Headers = make(map[string]string, len(s.Headers))
		for k := range s.Headers {
			r.Headers[k] = Redacted
		}
	}
	if s.Args != nil {
		r.Args = make([]string, len(s.Args))
		for i, a := range s.Args {
			r.Args[i] = secretArg.ReplaceAllString(a, "${1}"+Redacted)
		}
	}
	if u, err := url.Parse(s.URL); err == nil && s.URL != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), Redacted)
		}
		if u.RawQuery != "" {
			q := u.Query()
			for k := range q {
				q[k] = []string{Redacted}
			}
			u.RawQuery = q.Encode()
		}
		r.URL = u.String()
	} else if err != nil {
		r.URL = Redacted
	}
	return r
}

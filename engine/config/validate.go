package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	// Versions go into npm package specs (@anthropic-ai/claude-code@V).
	versionPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+-]*$`)
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// Server names become part of tool names (mcp__<name>__<tool>).
	serverNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// validator checks the merged configuration, naming the file and line where
// the offending value was set.
type validator struct {
	where map[string]position
	errs  []error
}

func (v *validator) fail(key, format string, args ...any) {
	pos, ok := v.where[key]
	// A value inherited from a section set elsewhere: point at the nearest
	// enclosing key that a file set.
	for parent := key; !ok && parent != ""; {
		parent = parentKey(parent)
		pos, ok = v.where[parent]
	}
	if !ok {
		pos = position{file: builtIn}
	}
	v.errs = append(v.errs, &Error{File: pos.file, Line: pos.line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

func validate(c *Config, where map[string]position) []error {
	v := &validator{where: where}

	if !versionPattern.MatchString(c.Agent.RuntimeVersion) {
		v.fail("agent.runtimeVersion", "want a version of @anthropic-ai/claude-code such as 2.1.331, got %q", c.Agent.RuntimeVersion)
	}

	var ids []string
	for _, m := range c.Models {
		key := "models[" + keyPart(m.ID) + "]"
		ids = append(ids, m.ID)
		if strings.ContainsAny(m.ID, " \t\n") {
			v.fail(key+".id", "a model id has no spaces, got %q", m.ID)
		}
		for _, p := range []struct {
			name  string
			price float64
		}{{"input", m.Prices.Input}, {"output", m.Prices.Output}, {"cacheWrite", m.Prices.CacheWrite}, {"cacheRead", m.Prices.CacheRead}} {
			if p.price < 0 {
				v.fail(key+".prices."+p.name, "a price cannot be negative, got %v", p.price)
			}
		}
	}

	d := c.Defaults
	if d.Model == "" {
		v.fail("defaults.model", "no default model: name one of %s", strings.Join(ids, ", "))
	} else if _, ok := c.Model(d.Model); !ok {
		v.fail("defaults.model", "unknown model %q: use one of %s, or add it under models", d.Model, strings.Join(ids, ", "))
	}
	for _, limit := range []struct {
		key string
		n   int
	}{{"defaults.maxSessions", d.MaxSessions}, {"defaults.maxTurns", d.MaxTurns}, {"defaults.stuckThreshold", d.StuckThreshold}} {
		if limit.n < 0 {
			v.fail(limit.key, "cannot be negative, got %d (0 means no limit)", limit.n)
		}
	}
	if d.BudgetUSD < 0 {
		v.fail("defaults.budgetUsd", "cannot be negative, got %v (0 means no budget)", d.BudgetUSD)
	}
	for _, wait := range []struct {
		key string
		d   Duration
	}{{"defaults.autoContinueDelay", d.AutoContinueDelay}, {"defaults.rateLimitBackoff", d.RateLimitBackoff}} {
		if wait.d < 0 {
			v.fail(wait.key, "cannot be negative, got %s", wait.d)
		}
	}

	pw := c.MCP.Playwright
	if (pw.Enabled || pw.Version != "") && !versionPattern.MatchString(pw.Version) {
		v.fail("mcp.playwright.version", "want a version of @playwright/mcp such as 0.0.83, got %q", pw.Version)
	}
	if pw.ExecutablePath != "" && !filepath.IsAbs(pw.ExecutablePath) {
		v.fail("mcp.playwright.executablePath", "want an absolute path, such as /usr/bin/chromium, got %q", pw.ExecutablePath)
	}
	sb := c.MCP.Supabase
	if sb.Enabled {
		for _, env := range []struct{ key, name string }{
			{"mcp.supabase.projectRefEnv", sb.ProjectRefEnv},
			{"mcp.supabase.accessTokenEnv", sb.AccessTokenEnv},
		} {
			if !envNamePattern.MatchString(env.name) {
				v.fail(env.key, "want the name of an environment variable, such as SUPABASE_ACCESS_TOKEN, got %q", env.name)
			}
		}
	}
	for _, s := range c.MCP.Servers {
		validateServer(v, s)
	}

	for _, list := range []struct {
		key     string
		entries []string
		word    bool
	}{
		{"security.allow", c.Security.Allow, true},
		{"security.deny", c.Security.Deny, false},
		{"security.writablePaths", c.Security.WritablePaths, false},
		{"security.pkill", c.Security.Pkill, true},
	} {
		for _, e := range list.entries {
			switch {
			case strings.TrimSpace(e) == "":
				v.fail(list.key, "an entry is empty")
			case list.word && strings.ContainsAny(e, " \t/"):
				v.fail(list.key, "want a bare command name such as make, got %q", e)
			}
		}
	}
	for _, p := range c.Security.WritablePaths {
		if strings.TrimSpace(p) != "" && !filepath.IsAbs(p) && !strings.HasPrefix(p, "~/") {
			v.fail("security.writablePaths", "want an absolute path (or one starting with ~/), got %q", p)
		}
	}
	return v.errs
}

func validateServer(v *validator, s Server) {
	key := "mcp.servers[" + keyPart(s.Name) + "]"
	if !serverNamePattern.MatchString(s.Name) {
		v.fail(key+".name", "want a name of letters, digits, - and _, got %q", s.Name)
	}
	if s.Name == "playwright" || s.Name == "supabase" {
		v.fail(key+".name", "%q is the built-in server: configure it under mcp.%s", s.Name, s.Name)
	}
	switch s.Type {
	case ServerStdio:
		if strings.TrimSpace(s.Command) == "" {
			v.fail(key, "a stdio server needs a command")
		}
		if s.URL != "" {
			v.fail(key+".url", "a stdio server is started with command, not reached by url: remove url, or set type: http")
		}
	case ServerHTTP, ServerSSE:
		if s.URL == "" {
			v.fail(key, "an %s server needs a url", s.Type)
		} else if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.fail(key+".url", "want an http:// or https:// URL, got %q", s.URL)
		}
		if s.Command != "" {
			v.fail(key+".command", "an %s server is reached by url, not started with command: remove command, or set type: stdio", s.Type)
		}
	default:
		v.fail(key+".type", "want stdio, http or sse, got %q", s.Type)
	}
}

package doctor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autonomous-coding/autonomous/engine/runtime"
	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
)

// envOf turns a map into Options.Env, so a test sees only its variables.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func find(t *testing.T, checks []Check, name string) Check {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %q check in %+v", name, checks)
	return Check{}
}

// gitRepo makes a real repository in a temp dir, with one commit if asked.
func gitRepo(t *testing.T, commit bool) string {
	t.Helper()
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	if commit {
		if err := os.WriteFile(filepath.Join(dir, "README"), []byte("hi\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", "README")
		git("commit", "-q", "-m", "first")
	}
	return dir
}

// managedHome lays the real Claude Code CLI out as a managed runtime.
func managedHome(t testing.TB) string {
	t.Helper()
	home := t.TempDir()
	cli := runtime.Manager{Home: home}.CLIPath()
	if err := os.MkdirAll(filepath.Dir(cli), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(agenttest.ClaudePath(t), cli); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestRunOnThisMachine(t *testing.T) {
	t.Parallel()
	home := managedHome(t)
	checks := Run(context.Background(), Options{
		Home:       home,
		ProjectDir: gitRepo(t, true),
		Env:        envOf(map[string]string{"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}),
	})
	var names []string
	for _, c := range checks {
		names = append(names, c.Name)
		if c.Status != StatusOK {
			t.Errorf("%s: %s %q (fix %q), want ok on a machine that runs the end-to-end tests", c.Name, c.Status, c.Detail, c.Fix)
		}
		if c.Fix != "" && c.Status == StatusOK {
			t.Errorf("%s is ok but carries a fix %q", c.Name, c.Fix)
		}
	}
	if got := strings.Join(names, ","); got != "git,project,node,npm,agent,credentials" {
		t.Errorf("check order = %s", got)
	}
	if !Passed(checks) {
		t.Error("Passed = false")
	}
	agent := find(t, checks, "agent")
	for _, want := range []string{"Claude Code " + runtime.DefaultVersion, "managed runtime", home} {
		if !strings.Contains(agent.Detail, want) {
			t.Errorf("agent detail %q does not mention %q", agent.Detail, want)
		}
	}
}

func TestPassed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		checks []Check
		want   bool
	}{
		{nil, true},
		{[]Check{{Status: StatusOK, Required: true}, {Status: StatusWarn, Required: true}}, true},
		{[]Check{{Status: StatusFail, Required: false}}, true},
		{[]Check{{Status: StatusOK, Required: true}, {Status: StatusFail, Required: true}}, false},
	}
	for i, tc := range tests {
		if got := Passed(tc.checks); got != tc.want {
			t.Errorf("case %d: Passed = %v, want %v", i, got, tc.want)
		}
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	const key = "sk-ant-api03-SECRETSECRETSECRET"
	loggedIn := t.TempDir()
	if err := os.MkdirAll(filepath.Join(loggedIn, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(loggedIn, ".claude", ".credentials.json"), []byte(`{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRET"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyLogin := t.TempDir()
	if err := os.MkdirAll(filepath.Join(emptyLogin, ".claude"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(emptyLogin, ".claude", ".credentials.json"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	nobody := t.TempDir()

	tests := []struct {
		name    string
		env     map[string]string
		status  Status
		detail  []string // each must appear
		secrets []string // none may appear
	}{
		{name: "API key", env: map[string]string{"HOME": nobody, "ANTHROPIC_API_KEY": key},
			status: StatusOK, detail: []string{"ANTHROPIC_API_KEY is set (31 characters)"}, secrets: []string{key, "SECRET"}},
		{name: "gateway counts, its secrets do not show", env: map[string]string{"HOME": nobody, "ANTHROPIC_BASE_URL": "https://user:hunter2@gw.example.com/v1/tok_SECRET?key=SECRET"},
			status: StatusOK, detail: []string{"gateway (https://gw.example.com)"}, secrets: []string{"hunter2", "SECRET", "user"}},
		{name: "OAuth token", env: map[string]string{"HOME": nobody, "CLAUDE_CODE_OAUTH_TOKEN": "sk-ant-oat01-SECRET"},
			status: StatusOK, detail: []string{"CLAUDE_CODE_OAUTH_TOKEN is set"}, secrets: []string{"SECRET"}},
		{name: "Claude login in HOME", env: map[string]string{"HOME": loggedIn},
			status: StatusOK, detail: []string{"Claude login found", filepath.Join(loggedIn, ".claude", ".credentials.json")}, secrets: []string{"SECRET"}},
		{name: "Claude login in CLAUDE_CONFIG_DIR", env: map[string]string{"HOME": nobody, "CLAUDE_CONFIG_DIR": filepath.Join(loggedIn, ".claude")},
			status: StatusOK, detail: []string{"Claude login found"}},
		{name: "Bedrock", env: map[string]string{"HOME": nobody, "CLAUDE_CODE_USE_BEDROCK": "1"},
			status: StatusOK, detail: []string{"Amazon Bedrock"}},
		{name: "nothing", env: map[string]string{"HOME": nobody},
			status: StatusFail, detail: []string{"no API key, gateway or Claude login"}},
		{name: "empty login file is no login", env: map[string]string{"HOME": emptyLogin},
			status: StatusFail, detail: []string{"no API key"}},
		{name: "Bedrock switched off", env: map[string]string{"HOME": nobody, "CLAUDE_CODE_USE_BEDROCK": "0"},
			status: StatusFail},
		{name: "malformed gateway alone", env: map[string]string{"HOME": nobody, "ANTHROPIC_BASE_URL": "gw.example.com:8080"},
			status: StatusFail, detail: []string{"not an http(s) URL"}},
		{name: "key with a malformed gateway", env: map[string]string{"HOME": nobody, "ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": "ftp://x"},
			status: StatusWarn, detail: []string{"ANTHROPIC_API_KEY is set", "not an http(s) URL"}, secrets: []string{key}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := checkCredentials(context.Background(), Options{Env: envOf(tc.env)})
			if c.Status != tc.status || !c.Required {
				t.Fatalf("status = %s (required %v), want %s required: %q", c.Status, c.Required, tc.status, c.Detail)
			}
			for _, w := range tc.detail {
				if !strings.Contains(c.Detail, w) {
					t.Errorf("detail %q does not mention %q", c.Detail, w)
				}
			}
			for _, s := range tc.secrets {
				if strings.Contains(c.Detail+c.Fix, s) {
					t.Errorf("the report shows the secret %q: %q / %q", s, c.Detail, c.Fix)
				}
			}
			if (c.Status != StatusOK) != (c.Fix != "") {
				t.Errorf("status %s with fix %q: a non-ok row needs a fix, an ok row has none", c.Status, c.Fix)
			}
		})
	}
}

func TestProject(t *testing.T) {
	t.Parallel()
	withCommit := gitRepo(t, true)
	sub := filepath.Join(withCommit, "src")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	noCommit := gitRepo(t, false)
	tests := []struct {
		name     string
		dir      string
		status   Status
		required bool
		detail   string
		fix      string
	}{
		{name: "no project", dir: "", status: StatusWarn, required: false, detail: "no project", fix: "--project"},
		{name: "missing folder", dir: filepath.Join(withCommit, "nope"), status: StatusFail, required: true, detail: "is not a folder", fix: "--project"},
		{name: "not a repository", dir: t.TempDir(), status: StatusFail, required: true, detail: "is not a git repository", fix: "git init"},
		{name: "no commit", dir: noCommit, status: StatusFail, required: true, detail: "has no commit yet", fix: "commit -m"},
		{name: "repository", dir: withCommit, status: StatusOK, required: true, detail: "on branch main"},
		{name: "a folder inside it", dir: sub, status: StatusOK, required: true, detail: withCommit + " at "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := checkProject(context.Background(), Options{ProjectDir: tc.dir})
			if c.Status != tc.status || c.Required != tc.required {
				t.Fatalf("got %s required=%v (%q), want %s required=%v", c.Status, c.Required, c.Detail, tc.status, tc.required)
			}
			if !strings.Contains(c.Detail, tc.detail) || !strings.Contains(c.Fix, tc.fix) {
				t.Fatalf("detail %q / fix %q, want them to mention %q / %q", c.Detail, c.Fix, tc.detail, tc.fix)
			}
		})
	}
}

// writeExe writes a stand-in executable (a file on PATH, for the search and
// version rules; the real tools are covered by TestRunOnThisMachine).
func writeExe(t *testing.T, path, script string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestToolsAndAgentFromPATH sets PATH, so it does not run in parallel.
func TestToolsAndAgentFromPATH(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		bin   map[string]string // executables on PATH: name -> script
		home  func(t *testing.T) string
		cli   string // configured CLI
		check func(context.Context, Options) Check
		want  Status
		has   []string // in detail
		fix   string
	}{
		{name: "git missing", check: checkGit, want: StatusFail, has: []string{"git is not on PATH"}, fix: "install git"},
		{name: "git too old for worktrees", bin: map[string]string{"git": "echo 'git version 2.4.11'"}, check: checkGit,
			want: StatusFail, has: []string{"git 2.4.11", "no worktree support"}, fix: "install git 2.5"},
		{name: "node missing", check: checkNode, want: StatusFail, has: []string{"node is not on PATH"}, fix: "Node.js 18"},
		{name: "node too old", bin: map[string]string{"node": "echo v16.20.2"}, check: checkNode,
			want: StatusFail, has: []string{"node 16.20.2", "too old"}, fix: "Node.js 18"},
		{name: "npm missing", check: checkNPM, want: StatusFail, has: []string{"npm is not on PATH"}, fix: "npm"},
		{name: "npm broken", bin: map[string]string{"npm": "echo 'Error: Cannot find module npm-cli.js' >&2; exit 1"}, check: checkNPM,
			want: StatusFail, has: []string{"Cannot find module"}, fix: "npm"},
		{name: "no agent anywhere", home: func(t *testing.T) string { return t.TempDir() }, check: checkAgent,
			want: StatusFail, has: []string{"no Claude Code CLI", "or on PATH"}, fix: "autonomous runtime install"},
		{name: "agent from PATH at another version", bin: map[string]string{"claude": "echo '2.0.1 (Claude Code)'"}, home: func(t *testing.T) string { return t.TempDir() },
			check: checkAgent, want: StatusWarn, has: []string{"Claude Code 2.0.1", "from PATH", "tested with " + runtime.DefaultVersion}, fix: "precedence over PATH"},
		{name: "managed runtime wins over PATH", bin: map[string]string{"claude": "echo '2.0.1 (Claude Code)'"}, home: func(t *testing.T) string { return managedHome(t) },
			check: checkAgent, want: StatusOK, has: []string{"managed runtime"}},
		{name: "agent that does not run", bin: map[string]string{"claude": "echo 'Illegal instruction' >&2; exit 132"}, home: func(t *testing.T) string { return t.TempDir() },
			check: checkAgent, want: StatusFail, has: []string{"does not run", "Illegal instruction"}, fix: "autonomous runtime install"},
		{name: "configured agent missing", cli: "/opt/nowhere/claude", home: func(t *testing.T) string { return managedHome(t) }, check: checkAgent,
			want: StatusFail, has: []string{"/opt/nowhere/claude", "does not exist"}, fix: "config.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			// sh is what the stand-ins need; it is linked under another name
			// so that it cannot be taken for one of the tools.
			if err := os.Symlink(sh, filepath.Join(bin, "sh")); err != nil {
				t.Fatal(err)
			}
			for name, script := range tc.bin {
				writeExe(t, filepath.Join(bin, name), script)
			}
			t.Setenv("PATH", bin)
			o := Options{ConfiguredCLI: tc.cli, Env: envOf(nil)}
			if tc.home != nil {
				o.Home = tc.home(t)
			}
			c := tc.check(context.Background(), o)
			if c.Status != tc.want || !c.Required {
				t.Fatalf("got %s required=%v: %q (fix %q), want %s", c.Status, c.Required, c.Detail, c.Fix, tc.want)
			}
			for _, h := range tc.has {
				if !strings.Contains(c.Detail, h) {
					t.Errorf("detail %q does not mention %q", c.Detail, h)
				}
			}
			if !strings.Contains(c.Fix, tc.fix) {
				t.Errorf("fix %q does not mention %q", c.Fix, tc.fix)
			}
		})
	}
}

func TestParseDotted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want [3]int
		ok   bool
	}{
		{"git version 2.39.5\n", [3]int{2, 39, 5}, true},
		{"git version 2.39.3 (Apple Git-146)", [3]int{2, 39, 3}, true},
		{"git version 2.45.1.windows.1", [3]int{2, 45, 1}, true},
		{"v20.20.2\n", [3]int{20, 20, 2}, true},
		{"11.19.1", [3]int{11, 19, 1}, true},
		{"git version 2.5", [3]int{2, 5, 0}, true},
		{"no digits here", [3]int{}, false},
		{"99999999999999999999.1", [3]int{}, false},
	}
	for _, tc := range tests {
		got, ok := parseDotted(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseDotted(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		v, min [3]int
		want   bool
	}{
		{[3]int{2, 5, 0}, minGit, true}, {[3]int{2, 4, 11}, minGit, false}, {[3]int{3, 0, 0}, minGit, true},
		{[3]int{2, 39, 5}, minGit, true}, {[3]int{1, 99, 99}, minGit, false}, {[3]int{18, 0, 0}, minNode, true},
	} {
		if got := atLeast(tc.v, tc.min); got != tc.want {
			t.Errorf("atLeast(%v, %v) = %v", tc.v, tc.min, got)
		}
	}
}

func FuzzParseDotted(f *testing.F) {
	for _, s := range []string{"git version 2.39.5\n", "v20.20.2", "2.5", "", "1.2.3.4.5", "0.0.0-x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseDotted(s)
		if !ok {
			return
		}
		// Printing and reading back must agree, or the versions doctor
		// compares are not the ones it shows.
		if again, ok := parseDotted(dotted(v)); !ok || again != v {
			t.Fatalf("parseDotted(%q) = %v, but its own rendering %s reads back as %v, %v", s, v, dotted(v), again, ok)
		}
		for _, n := range v {
			if n < 0 {
				t.Fatalf("parseDotted(%q) = %v: negative", s, v)
			}
		}
	})
}

func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	o := Options{Home: managedHome(b), ProjectDir: ".", Env: envOf(map[string]string{"ANTHROPIC_API_KEY": "x"})}
	for b.Loop() {
		Run(ctx, o)
	}
}

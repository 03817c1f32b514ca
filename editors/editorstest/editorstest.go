// Package editorstest holds what the editor clients' end-to-end suites
// share (editors/editors_test.go for Neovim and the extension's build,
// editors/vscode/e2e for VS Code in code-server): the scripted model's
// scenario, building the binary, copying a tree, the test cache, and
// reading back the workflows a run leaves. Only tests import it.
package editorstest

import (
	"context"
	_ "embed"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autonomous-coding/autonomous/engine/demo"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

//go:embed testdata/long-session.yaml
var longSession []byte

// Scenario is the demo's scenario followed by a long session: the second
// workflow's schema validation runs a minute-long command, so that a stop
// from the editor interrupts a live session.
func Scenario(t testing.TB) *scriptedmodel.Scenario {
	t.Helper()
	sc, err := scriptedmodel.ParseScenario(demo.Scenario())
	if err != nil {
		t.Fatalf("demo scenario: %v", err)
	}
	long, err := scriptedmodel.ParseScenario(longSession)
	if err != nil {
		t.Fatalf("long-session.yaml: %v", err)
	}
	sc.Sessions = append(sc.Sessions, long.Sessions...)
	return sc
}

// BuildAutonomous builds the CLI into dir and returns its path.
func BuildAutonomous(t testing.TB, ctx context.Context, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "autonomous")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/autonomous-coding/autonomous/cmd/autonomous")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build autonomous: %v\n%s", err, out)
	}
	return bin
}

// CacheDir is where the editor tests keep downloads across runs:
// ${XDG_CACHE_HOME:-~/.cache}/autonomous-test/<name>.
func CacheDir(t testing.TB, name string) string {
	t.Helper()
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "autonomous-test", name)
}

// NPMEnv is the environment for npm: the shared cache, so that npm ci
// works from it after the first time, and none of npm's chatter.
func NPMEnv(t testing.TB) []string {
	return append(os.Environ(), "npm_config_cache="+CacheDir(t, "npm"),
		"npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
}

// CopyTree copies src to dst, leaving out the top-level entries named in skip.
func CopyTree(t testing.TB, src, dst string, skip ...string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && slices.Contains(skip, rel) {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// WriteFile writes text to path, making its folder.
func WriteFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// WorkflowStatuses reads .autonomous/workflows/*.yaml: id -> status.
func WorkflowStatuses(t testing.TB, project string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(project, ".autonomous", "workflows", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "status: "); ok {
				out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
	}
	return out
}

// Tail returns the last n lines of a file, or why it cannot.
func Tail(file string, n int) string {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "(no such file)"
	}
	if err != nil {
		return err.Error()
	}
	return LastLines(string(b), n)
}

// LastLines returns the last n lines of s.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

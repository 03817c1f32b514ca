package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/runtime"
)

// autonomousBin is the binary under test, built once by TestMain into
// testRoot, which also holds the home that the runtime tests install into.
var (
	autonomousBin string
	testRoot      string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "autonomous-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testRoot, autonomousBin = dir, filepath.Join(dir, "autonomous")
	build := exec.Command("go", "build", "-o", autonomousBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build the autonomous binary: %v\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type cliResult struct {
	stdout, stderr string
	code           int
}

// runAutonomous runs the built binary with exactly env, in a folder that is
// not a git repository.
func runAutonomous(ctx context.Context, dir string, env []string, args ...string) (cliResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, autonomousBin, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		return res, fmt.Errorf("run autonomous %v: %w", args, err)
	}
	return res, nil
}

func runCLI(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	res, err := runAutonomous(context.Background(), t.TempDir(), env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// envWith is the test's own environment with AUTONOMOUS_HOME and the given
// variables replaced: npm keeps its cache and proxy settings.
func envWith(home string, kv ...string) []string {
	drop := map[string]bool{"AUTONOMOUS_HOME": true}
	for _, v := range kv {
		k, _, _ := strings.Cut(v, "=")
		drop[k] = true
	}
	var env []string
	for _, v := range os.Environ() {
		if k, _, _ := strings.Cut(v, "="); !drop[k] {
			env = append(env, v)
		}
	}
	return append(append(env, "AUTONOMOUS_HOME="+home), kv...)
}

// installed is the one real `autonomous runtime install` the CLI tests share
// (~400 MB from npm's cache); the first test that needs it runs it.
var installed struct {
	once sync.Once
	home string
	res  cliResult
	err  error
}

func installedHome(t *testing.T) (string, cliResult) {
	t.Helper()
	installed.once.Do(func() {
		installed.home = filepath.Join(testRoot, "installed-home")
		installed.res, installed.err = runAutonomous(context.Background(), testRoot, envWith(installed.home), "runtime", "install")
	})
	if installed.err != nil || installed.res.code != 0 {
		t.Fatalf("autonomous runtime install: %v, exit %d\nstdout:\n%s\nstderr:\n%s", installed.err, installed.res.code, installed.res.stdout, installed.res.stderr)
	}
	return installed.home, installed.res
}

func TestRuntimeInstallCLI(t *testing.T) {
	t.Parallel()
	home, res := installedHome(t)
	cli := filepath.Join(home, "runtime", "node_modules", ".bin", "claude")

	want := fmt.Sprintf("installed %s %s at %s\n", runtime.Package, runtime.DefaultVersion, cli)
	if res.stdout != want {
		t.Errorf("stdout = %q, want only the final line %q", res.stdout, want)
	}
	if !strings.Contains(res.stderr, "installing "+runtime.Package+"@"+runtime.DefaultVersion) || !strings.Contains(res.stderr, "npm ") {
		t.Errorf("stderr does not show the progress of npm:\n%s", res.stderr)
	}

	// Again, with no npm on PATH: it must not be needed.
	again := runCLI(t, envWith(home, "PATH="+t.TempDir()), "runtime", "install")
	if again.code != 0 || again.stdout != "already "+want {
		t.Errorf("second install: exit %d, stdout %q, stderr %q; want %q", again.code, again.stdout, again.stderr, "already "+want)
	}

	st := runCLI(t, envWith(home), "runtime", "status", "--json")
	var got runtime.Status
	if err := json.Unmarshal([]byte(st.stdout), &got); err != nil || st.code != 0 {
		t.Fatalf("runtime status --json: exit %d, %v\n%s%s", st.code, err, st.stdout, st.stderr)
	}
	if !got.Installed || got.Version != runtime.DefaultVersion || got.Path != cli || got.InstalledAt.IsZero() {
		t.Errorf("status = %+v", got)
	}
	text := runCLI(t, envWith(home), "runtime", "status")
	for _, w := range []string{"yes, version " + runtime.DefaultVersion, cli} {
		if !strings.Contains(text.stdout, w) {
			t.Errorf("runtime status does not show %q:\n%s", w, text.stdout)
		}
	}
}

func TestRuntimeStatusNotInstalled(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	res := runCLI(t, envWith(home), "runtime", "status", "--json")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &raw); err != nil {
		t.Fatalf("runtime status --json printed invalid JSON: %v\n%s", err, res.stdout)
	}
	wantPath := filepath.Join(home, "runtime", "node_modules", ".bin", "claude")
	if raw["installed"] != false || raw["defaultVersion"] != runtime.DefaultVersion || raw["path"] != wantPath || raw["package"] != runtime.Package {
		t.Errorf("status of an empty home = %s", res.stdout)
	}
	text := runCLI(t, envWith(home), "runtime", "status")
	if !strings.Contains(text.stdout, "no: run `autonomous runtime install`") {
		t.Errorf("runtime status does not say how to install:\n%s", text.stdout)
	}
}

func TestRuntimeInstallFailureCLI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string // global config.yaml, "" for none
		args   []string
		want   []string // in stderr
	}{
		{name: "version not on the registry", args: []string{"--version", "0.0.0-does-not-exist"},
			want: []string{"npm failed", "No matching version", "hint:"}},
		{name: "version pinned in config", config: "version: 2\nagent:\n  runtimeVersion: 0.0.0-does-not-exist\n",
			want: []string{"0.0.0-does-not-exist", "No matching version"}},
		{name: "tag in config is refused", config: "version: 2\nagent:\n  runtimeVersion: latest\n",
			want: []string{"agent.runtimeVersion in", "config.yaml", "not an exact version"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			if tc.config != "" {
				if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res := runCLI(t, envWith(home), append([]string{"runtime", "install"}, tc.args...)...)
			if res.code != 1 || res.stdout != "" {
				t.Fatalf("exit %d, stdout %q; want exit 1 and nothing on stdout\nstderr:\n%s", res.code, res.stdout, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, res.stderr)
				}
			}
			entries, _ := os.ReadDir(home)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), "runtime") && e.Name() != "runtime.lock" {
					t.Errorf("a failed install left %s", e.Name())
				}
			}
		})
	}
}

func TestRuntimeAndDoctorBadUsage(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	for _, args := range [][]string{
		{"runtime"},
		{"runtime", "upgrade"},
		{"runtime", "install", "--version"},
		{"runtime", "install", "--version", "latest"},
		{"runtime", "install", "--version", "^2.1.0"},
		{"runtime", "install", "2.1.331"},
		{"runtime", "install", "--bogus"},
		{"runtime", "status", "--json", "extra"},
		{"doctor", "extra"},
		{"doctor", "--verbose"},
	} {
		res := runCLI(t, envWith(home), args...)
		if res.code != 2 || !strings.Contains(res.stderr, "usage: autonomous "+args[0]) {
			t.Errorf("autonomous %v: exit %d, stderr %q; want exit 2 with the usage line", args, res.code, res.stderr)
		}
	}
	if entries, _ := os.ReadDir(home); len(entries) > 0 {
		t.Errorf("bad usage touched the home folder: %v", entries)
	}
}

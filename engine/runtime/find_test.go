package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
)

// writeExe writes an executable shell script (a stand-in file for Find's
// search order, never run as the agent).
func writeExe(t *testing.T, path, script string, perm os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), perm); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFind sets PATH, so its cases run one after the other.
func TestFind(t *testing.T) {
	type layout struct {
		configured  string // relative to the temp dir unless absolute or bare
		runtime     bool   // a managed CLI exists
		runtimeMode os.FileMode
		onPath      bool // a claude exists on PATH
	}
	tests := []struct {
		name       string
		layout     layout
		wantSource Source
		wantPath   string // relative to the temp dir
		wantErr    string
		notFound   bool
	}{
		{name: "config wins over runtime and PATH", layout: layout{configured: "custom/claude", runtime: true, onPath: true},
			wantSource: SourceConfig, wantPath: "custom/claude"},
		{name: "runtime wins over PATH", layout: layout{runtime: true, onPath: true},
			wantSource: SourceRuntime, wantPath: "home/runtime/node_modules/.bin/claude"},
		{name: "PATH when no runtime", layout: layout{onPath: true},
			wantSource: SourcePath, wantPath: "bin/claude"},
		{name: "non-executable runtime falls through to PATH", layout: layout{runtime: true, runtimeMode: 0o644, onPath: true},
			wantSource: SourcePath, wantPath: "bin/claude"},
		{name: "bare configured name is looked up on PATH", layout: layout{configured: "claude", runtime: true, onPath: true},
			wantSource: SourceConfig, wantPath: "bin/claude"},
		{name: "nothing anywhere", layout: layout{},
			notFound: true, wantErr: "runtime/node_modules/.bin/claude or on PATH"},
		{name: "configured path missing", layout: layout{configured: "missing/claude", runtime: true, onPath: true},
			wantErr: "missing/claude does not exist"},
		{name: "configured path is a directory", layout: layout{configured: "./custom", runtime: true},
			wantErr: "is a directory"},
		{name: "configured file not executable", layout: layout{configured: "plain/claude"},
			wantErr: "is not executable"},
		{name: "configured bare name not on PATH", layout: layout{configured: "claude-nightly", onPath: true},
			wantErr: `"claude-nightly": not found on PATH`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			writeExe(t, filepath.Join(dir, "custom", "claude"), "echo 1.0.0", 0o755)
			writeExe(t, filepath.Join(dir, "plain", "claude"), "echo 1.0.0", 0o644)
			if tc.layout.runtime {
				mode := tc.layout.runtimeMode
				if mode == 0 {
					mode = 0o755
				}
				writeExe(t, filepath.Join(home, "runtime", "node_modules", ".bin", "claude"), "echo 2.0.0", mode)
			}
			pathDir := filepath.Join(dir, "bin")
			if err := os.MkdirAll(pathDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.layout.onPath {
				writeExe(t, filepath.Join(pathDir, "claude"), "echo 3.0.0", 0o755)
			}
			t.Setenv("PATH", pathDir)
			configured := tc.layout.configured
			if strings.Contains(configured, "/") {
				configured = filepath.Join(dir, configured)
			}

			got, err := Find(configured, home)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Find error = %v, want it to mention %q", err, tc.wantErr)
				}
				if errors.Is(err, ErrNotFound) != tc.notFound {
					t.Fatalf("errors.Is(%v, ErrNotFound) = %v, want %v", err, !tc.notFound, tc.notFound)
				}
				return
			}
			if err != nil {
				t.Fatalf("Find: %v", err)
			}
			want := Found{Path: filepath.Join(dir, tc.wantPath), Source: tc.wantSource}
			if got != want {
				t.Fatalf("Find = %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		out, want string
	}{
		{"2.1.331 (Claude Code)\n", "2.1.331"},
		{"2.1.331\n", "2.1.331"},
		{"  v1.0.0-beta.2 (Claude Code)\nsecond line\n", "1.0.0-beta.2"},
		{"3.0.0+build.7", "3.0.0+build.7"},
		{"", ""},
		{"Claude Code 2.1.331", ""},
		{"2.1", ""},
		{"error: unknown option --version", ""},
	}
	for _, tc := range tests {
		got, err := parseVersion(tc.out)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("parseVersion(%q) = %q, %v; want %q", tc.out, got, err, tc.want)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"2.1.331 (Claude Code)\n", "v1.2.3-rc.1+x", "", "\n\n", "1.2.3.4", "9999999999999999999.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		v, err := parseVersion(out)
		if err != nil {
			if v != "" {
				t.Fatalf("parseVersion(%q) returned %q with error %v", out, v, err)
			}
			return
		}
		// What it returns must be pinnable by Install and appear in the output.
		if verr := ValidateVersion(v); verr != nil {
			t.Fatalf("parseVersion(%q) = %q, which Install refuses: %v", out, v, verr)
		}
		if !strings.Contains(out, v) {
			t.Fatalf("parseVersion(%q) = %q, not in the output", out, v)
		}
	})
}

func TestValidateVersion(t *testing.T) {
	t.Parallel()
	for v, ok := range map[string]bool{
		"2.1.331": true, "0.0.0-does-not-exist": true, "1.2.3+build.1": true,
		"latest": false, "^2.1.0": false, "2.1": false, "": false, "--registry=http://evil": false, "2.1.331 ": false, "2.1.331\n": false,
	} {
		if err := ValidateVersion(v); (err == nil) != ok {
			t.Errorf("ValidateVersion(%q) = %v, want ok=%v", v, err, ok)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	t.Run("real CLI", func(t *testing.T) {
		t.Parallel()
		v, err := Version(context.Background(), agenttest.ClaudePath(t))
		if err != nil {
			t.Fatal(err)
		}
		if v != DefaultVersion {
			t.Fatalf("Version = %q, want %q (the pinned default the tests install)", v, DefaultVersion)
		}
	})
	t.Run("failing CLI reports its stderr", func(t *testing.T) {
		t.Parallel()
		exe := writeExe(t, filepath.Join(t.TempDir(), "claude"), "echo 'cannot load libfoo.so' >&2; exit 3", 0o755)
		_, err := Version(context.Background(), exe)
		if err == nil || !strings.Contains(err.Error(), "cannot load libfoo.so") || !strings.Contains(err.Error(), exe) {
			t.Fatalf("Version error = %v, want the path and the stderr text", err)
		}
	})
	t.Run("output without a version", func(t *testing.T) {
		t.Parallel()
		exe := writeExe(t, filepath.Join(t.TempDir(), "claude"), "echo 'Usage: claude [options]'", 0o755)
		_, err := Version(context.Background(), exe)
		if err == nil || !strings.Contains(err.Error(), "no version number") {
			t.Fatalf("Version error = %v, want a no-version error", err)
		}
	})
	t.Run("cancel kills the whole process group", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		pidFile := filepath.Join(dir, "child.pid")
		exe := writeExe(t, filepath.Join(dir, "claude"), "sleep 60 & echo $! > "+pidFile+"; wait", 0o755)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := Version(ctx, exe)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Version error = %v, want a deadline error", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Version returned after %v, want promptly after the deadline", d)
		}
		data, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		waitGone(t, pid)
	})
}

// waitGone fails unless process pid disappears (a zombie counts as gone:
// its parent, the killed shell, is no longer there to reap it).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return
		}
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d outlived its group being killed", pid)
}

func BenchmarkVersion(b *testing.B) {
	path := agenttest.ClaudePath(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := Version(ctx, path); err != nil {
			b.Fatal(err)
		}
	}
}

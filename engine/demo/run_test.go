package demo

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// These tests change the process environment (git's global config), so they
// do not run in parallel.
func TestInitRepo(t *testing.T) {
	tests := []struct {
		name         string
		globalConfig string // content of the global git config
		wantAuthor   string
		wantLocalID  bool
	}{
		{"machine without a git identity", "", demoUserName + " <" + demoUserEmail + ">", true},
		{"user's identity is kept", "[user]\n\tname = Ada\n\temail = ada@example.com\n", "Ada <ada@example.com>", false},
		{"half an identity is completed", "[user]\n\tname = Ada\n", "Ada <" + demoUserEmail + ">", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateGit(t, tt.globalConfig)
			dir := t.TempDir()
			if err := WriteProject(dir); err != nil {
				t.Fatal(err)
			}
			if err := InitRepo(t.Context(), dir); err != nil {
				t.Fatalf("InitRepo: %v", err)
			}
			if got := gitOut(t, dir, "log", "--format=%an <%ae>|%s", "main"); got != tt.wantAuthor+"|shop-api: the project as it stands" {
				t.Errorf("history %q, want one commit by %s", got, tt.wantAuthor)
			}
			if st := gitOut(t, dir, "status", "--porcelain"); st != "" {
				t.Errorf("not everything was committed:\n%s", st)
			}
			files := strings.Split(gitOut(t, dir, "ls-files"), "\n")
			for _, f := range []string{".schema/_index.md", "src/routes.js", "test/items.test.js"} {
				if !slices.Contains(files, f) {
					t.Errorf("%s not committed; committed: %v", f, files)
				}
			}
			_, err := exec.Command("git", "-C", dir, "config", "--local", "user.email").Output()
			if hasLocal := err == nil; hasLocal != tt.wantLocalID {
				t.Errorf("repository has its own identity: %v, want %v", hasLocal, tt.wantLocalID)
			}
		})
	}

	t.Run("an existing repository is refused", func(t *testing.T) {
		isolateGit(t, "")
		dir := t.TempDir()
		if err := WriteProject(dir); err != nil {
			t.Fatal(err)
		}
		if err := InitRepo(t.Context(), dir); err != nil {
			t.Fatal(err)
		}
		before := gitOut(t, dir, "rev-parse", "HEAD")
		writeFile(t, filepath.Join(dir, "wip.txt"), "uncommitted work")
		err := InitRepo(t.Context(), dir)
		if err == nil || !strings.Contains(err.Error(), dir+" is already a git repository") {
			t.Fatalf("second InitRepo = %v, want a refusal naming the dir", err)
		}
		if after := gitOut(t, dir, "rev-parse", "HEAD"); after != before {
			t.Error("the refused InitRepo committed")
		}
	})
}

// isolateGit points git at a global config of the given content and away
// from the system one, for the rest of the test.
func isolateGit(t *testing.T, globalConfig string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gitconfig")
	writeFile(t, path, globalConfig)
	t.Setenv("GIT_CONFIG_GLOBAL", path)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, name := range []string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestEnvSendsTheCLIToTheScriptedModelOnly(t *testing.T) {
	for k, v := range map[string]string{
		"ANTHROPIC_API_KEY":       "sk-ant-real-secret",
		"ANTHROPIC_AUTH_TOKEN":    "real-token",
		"ANTHROPIC_BASE_URL":      "https://api.anthropic.com",
		"CLAUDE_CODE_USE_BEDROCK": "1",
		"CLAUDE_CONFIG_DIR":       "/home/user/.claude",
		"NO_PROXY":                "corp.example",
		"DEMO_TEST_KEPT":          "kept",
	} {
		t.Setenv(k, v)
	}
	env := Env("http://127.0.0.1:4567", "/tmp/demo")
	got := map[string][]string{}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		got[name] = append(got[name], value)
	}
	want := map[string]string{
		"ANTHROPIC_BASE_URL":                       "http://127.0.0.1:4567",
		"ANTHROPIC_API_KEY":                        "sk-ant-demo-offline",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
		"CLAUDE_CONFIG_DIR":                        filepath.Join("/tmp/demo", ".autonomous", "state", "claude-config"),
		"NO_PROXY":                                 "corp.example,127.0.0.1,localhost",
		"DEMO_TEST_KEPT":                           "kept",
	}
	for name, value := range want {
		if len(got[name]) != 1 || got[name][0] != value {
			t.Errorf("%s = %q, want exactly %q", name, got[name], value)
		}
	}
	for _, name := range []string{"ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s passed through to the demo's agent", name)
		}
	}
	if all := strings.Join(env, "\n"); strings.Contains(all, "sk-ant-real-secret") || strings.Contains(all, "real-token") {
		t.Error("a real credential passed through to the demo's agent")
	}
}

func TestCountDenied(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		log     string
		want    int
		wantErr string
	}{
		{"empty", "", 0, ""},
		{"allow and deny", `{"decision":"allow","command":"npm test"}
{"decision":"deny","command":"curl x | sh","reason":"\"curl\" is not on the allowlist"}

{"decision":"deny","command":"git push"}
`, 2, ""},
		{"a torn line is reported, the rest counted", `{"decision":"deny"}
{"decision":"deny","comm
{"decision":"deny"}
`, 2, "policy.jsonl:2: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "policy.jsonl")
			writeFile(t, path, tt.log)
			got, err := CountDenied(path)
			if got != tt.want {
				t.Errorf("CountDenied = %d, want %d", got, tt.want)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	t.Run("missing log", func(t *testing.T) {
		t.Parallel()
		_, err := CountDenied(filepath.Join(t.TempDir(), "none.jsonl"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v, want a not-exist error", err)
		}
	})
}

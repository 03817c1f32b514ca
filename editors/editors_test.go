//go:build unix

// Package editors tests the two editor clients against the server they
// talk to: that the server's commands, the VS Code extension's package.json
// and the Neovim plugin's subcommands are one list; the extension's unit
// tests, type check and .vsix; and Neovim (Debian's 0.7.2, headless) driving
// a real workflow end to end through `autonomous lsp`, the real Claude Code
// CLI and the scripted model.
//
// It needs node and npm (the extension) and nvim (the plugin); a missing tool
// fails the test with the command that installs it.
package editors

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
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
	"github.com/autonomous-coding/autonomous/lsp/protocol"
	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

const (
	vscodeDir = "vscode"
	nvimDir   = "nvim"
	// wrapperPrefix marks the extension's palette commands; see
	// editors/vscode/src/commands.ts for the mapping.
	wrapperPrefix = "autonomous.ui."
)

// manifest is the part of the extension's package.json the tests read.
type manifest struct {
	Contributes struct {
		Commands []struct {
			Command  string `json:"command"`
			Title    string `json:"title"`
			Category string `json:"category"`
		} `json:"commands"`
		Menus map[string][]struct {
			Command string `json:"command"`
			When    string `json:"when"`
		} `json:"menus"`
	} `json:"contributes"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vscodeDir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("editors/vscode/package.json: %v", err)
	}
	return m
}

// TestOneListOfCommands checks that the commands the server advertises, the
// commands of the extension's package.json and the Neovim subcommands
// correspond one to one: a command missing from, or extra in, any of them
// fails.
func TestOneListOfCommands(t *testing.T) {
	t.Parallel()
	server := protocol.Commands()
	if !slices.Equal(protocol.CommandIDs(), ids(server)) {
		t.Fatalf("protocol.CommandIDs() and protocol.Commands() disagree")
	}

	t.Run("vscode", func(t *testing.T) {
		m := readManifest(t)
		contributed := map[string]string{} // id -> title
		for _, c := range m.Contributes.Commands {
			if _, dup := contributed[c.Command]; dup {
				t.Errorf("package.json contributes %s twice", c.Command)
			}
			contributed[c.Command] = c.Title
			if c.Category != "Autonomous" {
				t.Errorf("package.json: %s has category %q, want \"Autonomous\"", c.Command, c.Category)
			}
		}
		hidden := map[string]bool{}
		for _, e := range m.Contributes.Menus["commandPalette"] {
			if e.When == "false" {
				hidden[e.Command] = true
			}
		}
		for _, c := range server {
			title, ok := contributed[c.ID]
			switch {
			case !ok:
				t.Errorf("the server's command %s (%q) is missing from package.json contributes.commands", c.ID, c.Title)
			case title != c.Title:
				t.Errorf("package.json titles %s %q, the server %q", c.ID, title, c.Title)
			}
			if !hidden[c.ID] {
				t.Errorf("package.json: %s must be hidden from the palette (its wrapper %s is the palette entry)", c.ID, wrapper(c.ID))
			}
			if title, ok := contributed[wrapper(c.ID)]; !ok {
				t.Errorf("package.json: no palette wrapper %s for the server's command %s", wrapper(c.ID), c.ID)
			} else if title != c.Title {
				t.Errorf("package.json titles the wrapper %s %q, the server %q", wrapper(c.ID), title, c.Title)
			}
		}
		known := map[string]bool{}
		for _, c := range server {
			known[c.ID], known[wrapper(c.ID)] = true, true
		}
		// The extension's own commands, which wrap no server command.
		for _, id := range []string{"autonomous.ui.selectActive", "autonomous.ui.refresh"} {
			known[id] = true
		}
		for _, id := range slices.Sorted(maps.Keys(contributed)) {
			if !known[id] {
				t.Errorf("package.json contributes %s, which the server does not advertise and the extension does not define", id)
			}
		}
	})

	t.Run("neovim", func(t *testing.T) {
		got := neovimCommandMap(t)
		want := map[string]string{}
		for _, c := range server {
			if c.Subcommand != "" {
				want[c.Subcommand] = c.ID
			}
		}
		for _, sub := range slices.Sorted(maps.Keys(want)) {
			if got[sub] != want[sub] {
				t.Errorf(":Autonomous %s runs %q, the server says it is %q", sub, got[sub], want[sub])
			}
		}
		for _, sub := range slices.Sorted(maps.Keys(got)) {
			if _, ok := want[sub]; !ok {
				t.Errorf(":Autonomous %s (%s) is not a subcommand of the server's list (lsp/protocol.Commands)", sub, got[sub])
			}
		}
	})
}

func ids(cmds []protocol.Command) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = c.ID
	}
	return out
}

func wrapper(id string) string { return wrapperPrefix + strings.TrimPrefix(id, "autonomous.") }

// neovimCommandMap asks the plugin itself, in a real Neovim, for its
// subcommand -> command id table.
func neovimCommandMap(t *testing.T) map[string]string {
	t.Helper()
	nvim := lookTool(t, "nvim", "apt-get install -y neovim")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	plugin, err := filepath.Abs(nvimDir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE",
		"--cmd", "set rtp^="+plugin,
		"-c", `lua io.stdout:write(vim.fn.json_encode(require("autonomous.commands").map()))`,
		"-c", "qa!")
	cmd.Env = append(os.Environ(), xdgEnv(t)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nvim: %v\n%s", err, stderr.String())
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("the Neovim plugin's command map is not JSON: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	return m
}

// TestNeovimPluginUnits runs the plugin's own unit tests
// (testdata/nvim_unit.lua) in a headless Neovim: formatting, the workflow
// store, the bounded log buffers, completion and root detection.
func TestNeovimPluginUnits(t *testing.T) {
	t.Parallel()
	nvim := lookTool(t, "nvim", "apt-get install -y neovim")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	plugin, err := filepath.Abs(nvimDir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE",
		"--cmd", "set rtp^="+plugin, "-c", "luafile "+filepath.Join("testdata", "nvim_unit.lua"))
	cmd.Env = append(os.Environ(), xdgEnv(t)...)
	out, err := cmd.CombinedOutput()
	var pass, fail int
	for line := range strings.SplitSeq(string(out), "\n") {
		fmt.Sscanf(line, "%d passed, %d failed", &pass, &fail)
	}
	if err != nil || fail != 0 || pass == 0 {
		t.Fatalf("the plugin's unit tests: %d passed, %d failed (%v):\n%s", pass, fail, err, out)
	}
	t.Logf("the plugin's unit tests: %d passed", pass)
}

// TestVSCodeExtension installs the extension's locked dependencies into a
// copy of editors/vscode, type-checks it, runs its unit tests, and builds
// and lists its .vsix.
func TestVSCodeExtension(t *testing.T) {
	t.Parallel()
	npm := lookTool(t, "npm", "install Node.js 20 and npm")
	lookTool(t, "node", "install Node.js 20")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	// A copy keeps go test from writing node_modules and out/ into the source tree.
	dir := filepath.Join(t.TempDir(), "vscode")
	editorstest.CopyTree(t, vscodeDir, dir, "node_modules", "out")
	env := editorstest.NPMEnv(t)

	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	run(npm, "ci", "--no-audit", "--no-fund")
	t.Run("typecheck", func(t *testing.T) {
		run(npm, "run", "typecheck")
	})
	t.Run("unit", func(t *testing.T) {
		out := run(npm, "test")
		pass, fail := nodeTestCounts(out)
		if fail != 0 || pass == 0 {
			t.Fatalf("node --test: %d passed, %d failed\n%s", pass, fail, out)
		}
		t.Logf("node --test: %d tests passed", pass)
	})
	t.Run("vsix", func(t *testing.T) {
		vsix := filepath.Join(t.TempDir(), "autonomous.vsix")
		run(filepath.Join(dir, "node_modules", ".bin", "vsce"), "package", "--skip-license", "--out", vsix)
		files := zipNames(t, vsix)
		for _, want := range []string{"extension/package.json", "extension/out/extension.js", "extension/out/commands.js", "extension/readme.md", "extension/media/autonomous.svg"} {
			if !slices.Contains(files, want) {
				t.Errorf("the .vsix lacks %s; it holds:\n%s", want, strings.Join(files, "\n"))
			}
		}
		prod := productionPackages(t, filepath.Join(dir, "package-lock.json"))
		shipped := map[string]bool{}
		for _, f := range files {
			rest, ok := strings.CutPrefix(f, "extension/")
			if !ok {
				continue
			}
			switch {
			case strings.HasPrefix(rest, "src/"), strings.HasPrefix(rest, "out/test/"), strings.HasSuffix(rest, ".ts"), strings.HasSuffix(rest, ".map"):
				t.Errorf("the .vsix ships %s: sources, tests and maps stay out", f)
			case strings.HasPrefix(rest, "node_modules/"):
				parts := strings.Split(rest, "/")
				pkg := parts[1]
				if strings.HasPrefix(pkg, "@") && len(parts) > 2 {
					pkg += "/" + parts[2]
				}
				shipped[pkg] = true
			}
		}
		for _, pkg := range slices.Sorted(maps.Keys(shipped)) {
			if !prod[pkg] {
				t.Errorf("the .vsix ships node_modules/%s, which is not a production dependency", pkg)
			}
		}
		if !shipped["vscode-languageclient"] {
			t.Errorf("the .vsix lacks node_modules/vscode-languageclient, which the extension loads at run time")
		}
		t.Logf(".vsix: %d files, node_modules: %s", len(files), strings.Join(slices.Sorted(maps.Keys(shipped)), ", "))
	})
}

// nodeTestCounts reads the "# pass N" and "# fail N" summary of node --test.
func nodeTestCounts(out string) (pass, fail int) {
	sc := bufio.NewScanner(strings.NewReader(out))
	pass, fail = -1, -1
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		fmt.Sscanf(line, "# pass %d", &pass)
		fmt.Sscanf(line, "# fail %d", &fail)
	}
	return pass, fail
}

// productionPackages lists the packages package-lock.json installs for
// production (not dev), by their top-level node_modules name.
func productionPackages(t *testing.T, lockFile string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct {
			Dev bool `json:"dev"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		t.Fatalf("%s: %v", lockFile, err)
	}
	prod := map[string]bool{}
	for path, p := range lock.Packages {
		name, ok := strings.CutPrefix(path, "node_modules/")
		if !ok || p.Dev || strings.Contains(name, "/node_modules/") {
			continue
		}
		prod[name] = true
	}
	return prod
}

func zipNames(t *testing.T, file string) []string {
	t.Helper()
	r, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("open the .vsix: %v", err)
	}
	defer r.Close()
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
	}
	return names
}

// TestNeovimEndToEnd drives a real workflow from Neovim 0.7.2, headless: the
// plugin starts `autonomous lsp` in the demo project, :Autonomous new and
// :Autonomous start run it (the real Claude Code CLI against the scripted
// model) until the statusline shows 100% and completed; the schema
// discrepancy is in vim.diagnostic.get at the doc and code lines; the log
// buffer holds the run; and :Autonomous stop interrupts a second workflow's
// minute-long session. The steps are in testdata/nvim_e2e.lua.
func TestNeovimEndToEnd(t *testing.T) {
	t.Parallel()
	nvim := lookTool(t, "nvim", "apt-get install -y neovim")
	claude := agenttest.ClaudePath(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	editorstest.BuildAutonomous(t, ctx, bin)
	project := filepath.Join(tmp, "shop-api")
	if err := demo.WriteProject(project); err != nil {
		t.Fatal(err)
	}
	if err := demo.InitRepo(ctx, project); err != nil {
		t.Fatal(err)
	}
	// The spec the user imports; untracked, as a note of theirs would be.
	specFile := filepath.Join(project, "stock-spec.md")
	if err := os.WriteFile(specFile, []byte(demo.Spec()), 0o644); err != nil {
		t.Fatal(err)
	}
	docLine := lineOf(t, filepath.Join(project, ".schema", "_index.md"), "| DELETE | `/api/items/:id`")
	codeLine := lineOf(t, filepath.Join(project, "src", "routes.js"), "path: '/api/items/:id'")

	srv, err := scriptedmodel.Start(editorstest.Scenario(t), scriptedmodel.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	// The tool's home: its config (the CLI to run, no pause between
	// sessions) and the server's log, away from the user's own.
	home := filepath.Join(tmp, "home")
	editorstest.WriteFile(t, filepath.Join(home, "config.yaml"), fmt.Sprintf("version: 2\nagent:\n  cliPath: %s\ndefaults:\n  autoContinueDelay: 200ms\n", claude))

	plugin, err := filepath.Abs(nvimDir)
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "nvim_e2e.lua"))
	if err != nil {
		t.Fatal(err)
	}
	env := append(demo.Env(srv.URL(), project), xdgEnv(t)...)
	env = append(env,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AUTONOMOUS_HOME="+home,
		"AUTONOMOUS_E2E_SPEC="+specFile,
		fmt.Sprintf("AUTONOMOUS_E2E_DOC_LINE=%d", docLine),
		fmt.Sprintf("AUTONOMOUS_E2E_CODE_LINE=%d", codeLine),
	)
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE",
		"--cmd", "set rtp^="+plugin,
		"-c", "runtime plugin/autonomous.lua",
		"-c", "luafile "+script)
	cmd.Dir, cmd.Env = project, env
	// Neovim and the server it starts share a process group: on a timeout
	// SIGTERM lets the server stop its agent sessions, then the group dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	runErr := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever is left of the group
	}
	elapsed := time.Since(start)
	transcript := out.String()
	if runErr != nil || !strings.Contains(transcript, "E2E OK") {
		t.Fatalf("Neovim end to end failed after %s (%v):\n%s\n--- server log (%s) ---\n%s\n--- Neovim LSP log ---\n%s",
			elapsed.Round(time.Second), runErr, transcript, filepath.Join(home, "logs", "lsp.log"),
			editorstest.Tail(filepath.Join(home, "logs", "lsp.log"), 60), editorstest.Tail(neovimLSPLog(env), 40))
	}
	t.Logf("Neovim end to end passed in %s:\n%s", elapsed.Round(time.Second), transcript)

	// Nothing the run started is left: not the server, not an agent, not its commands.
	if left := processesIn(tmp); len(left) > 0 {
		t.Errorf("processes left running in %s after Neovim exited:\n%s", tmp, strings.Join(left, "\n"))
	}

	// What the plugin showed is what the project's files say: the first
	// workflow completed, the second deleted with its worktree, its branch kept.
	statuses := editorstest.WorkflowStatuses(t, project)
	if len(statuses) != 1 || !slices.Contains(slices.Collect(maps.Values(statuses)), "completed") {
		t.Errorf("workflow files say %v, want only the first workflow, completed", statuses)
	}
	entries, _ := os.ReadDir(filepath.Join(project, ".autonomous", "worktrees"))
	var trees []string
	for _, e := range entries {
		if e.IsDir() {
			trees = append(trees, e.Name())
		}
	}
	if len(trees) != 1 || !strings.HasPrefix(trees[0], "stock-management-") {
		t.Errorf("worktrees left: %v; want the first workflow's only", trees)
	}
	branches, err := exec.Command("git", "-C", project, "branch", "--list", "autonomous/long-task-*").Output()
	if err != nil || strings.TrimSpace(string(branches)) == "" {
		t.Errorf("the deleted workflow's branch was not kept (%v): %q", err, branches)
	}
	if f := srv.Failures(); len(f) > 0 {
		t.Errorf("the scripted model saw requests it did not expect:\n%s", strings.Join(f, "\n"))
	}
}

// processesIn lists the processes whose working directory is under dir
// (Linux /proc), as "pid cmdline".
func processesIn(dir string) []string {
	links, _ := filepath.Glob("/proc/[0-9]*/cwd")
	var out []string
	for _, link := range links {
		cwd, err := os.Readlink(link)
		if err != nil || (cwd != dir && !strings.HasPrefix(cwd, dir+string(filepath.Separator))) {
			continue
		}
		pidDir := filepath.Dir(link)
		cmdline, _ := os.ReadFile(filepath.Join(pidDir, "cmdline"))
		out = append(out, filepath.Base(pidDir)+" "+strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " "))
	}
	return out
}

// lineOf is the 1-based line of file that contains s.
func lineOf(t *testing.T, file, s string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, s) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, s)
	return 0
}

// xdgEnv points Neovim's config, data, state and cache at a temp dir, so that
// the user's own configuration and plugins stay out.
func xdgEnv(t *testing.T) []string {
	t.Helper()
	root := t.TempDir()
	var env []string
	for _, name := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"} {
		dir := filepath.Join(root, strings.ToLower(strings.TrimPrefix(name, "XDG_")))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		env = append(env, name+"="+dir)
	}
	return env
}

// neovimLSPLog is where Neovim logs its LSP client: stdpath('cache') on
// 0.7, stdpath('log') (under XDG_STATE_HOME) from 0.8.
func neovimLSPLog(env []string) string {
	for _, kv := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(kv, "XDG_CACHE_HOME="); ok {
			if p := filepath.Join(v, "nvim", "lsp.log"); fileExists(p) {
				return p
			}
		}
		if v, ok := strings.CutPrefix(kv, "XDG_STATE_HOME="); ok {
			if p := filepath.Join(v, "nvim", "lsp.log"); fileExists(p) {
				return p
			}
		}
	}
	return "(no lsp.log)"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func lookTool(t *testing.T, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed for this test and is not on PATH: %s", name, install)
	}
	return p
}

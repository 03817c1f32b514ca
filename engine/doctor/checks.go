package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/autonomous-coding/autonomous/engine/runtime"
)

func (c Check) ok(format string, args ...any) Check {
	c.Status, c.Detail = StatusOK, fmt.Sprintf(format, args...)
	return c
}

func (c Check) warn(detail, fix string) Check {
	c.Status, c.Detail, c.Fix = StatusWarn, detail, fix
	return c
}

func (c Check) fail(detail, fix string) Check {
	c.Status, c.Detail, c.Fix = StatusFail, detail, fix
	return c
}

const (
	fixGit  = "install git 2.5 or newer (Debian/Ubuntu: apt-get install git; macOS: xcode-select --install)"
	fixNode = "install Node.js 18 or newer with npm (https://nodejs.org; Debian/Ubuntu: apt-get install nodejs npm)"
)

// minGit is the first git with `git worktree`.
var minGit = [3]int{2, 5, 0}

// minNode is the oldest Node.js whose npm installs the agent runtime.
var minNode = [3]int{18, 0, 0}

func checkGit(ctx context.Context, _ Options) Check {
	c := Check{Name: "git", Required: true}
	path, v, err := toolVersion(ctx, "git", "--version")
	if err != nil {
		return c.fail(err.Error(), fixGit)
	}
	if !atLeast(v, minGit) {
		return c.fail(fmt.Sprintf("git %s at %s has no worktree support (needs %s or newer)", dotted(v), path, dotted(minGit)), fixGit)
	}
	return c.ok("git %s at %s (worktrees supported)", dotted(v), path)
}

func checkNode(ctx context.Context, _ Options) Check {
	c := Check{Name: "node", Required: true}
	path, v, err := toolVersion(ctx, "node", "--version")
	if err != nil {
		return c.fail(err.Error(), fixNode)
	}
	if !atLeast(v, minNode) {
		return c.fail(fmt.Sprintf("node %s at %s is too old (needs %s or newer)", dotted(v), path, dotted(minNode)), fixNode)
	}
	return c.ok("node %s at %s", dotted(v), path)
}

func checkNPM(ctx context.Context, _ Options) Check {
	c := Check{Name: "npm", Required: true}
	path, v, err := toolVersion(ctx, "npm", "--version")
	if err != nil {
		return c.fail(err.Error(), fixNode)
	}
	return c.ok("npm %s at %s", dotted(v), path)
}

// toolVersion finds name on PATH and reads its version from `name args...`.
func toolVersion(ctx context.Context, name string, args ...string) (string, [3]int, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", [3]int{}, fmt.Errorf("%s is not on PATH", name)
	}
	out, err := run(ctx, path, args...)
	if err != nil {
		return path, [3]int{}, err
	}
	v, ok := parseDotted(out)
	if !ok {
		return path, [3]int{}, fmt.Errorf("%s %s printed no version number: %q", path, strings.Join(args, " "), truncate(out, 80))
	}
	return path, v, nil
}

func checkProject(ctx context.Context, o Options) Check {
	c := Check{Name: "project", Required: true}
	dir := o.ProjectDir
	if dir == "" {
		c.Required = false
		return c.warn("no project: not inside a git repository", "run doctor inside your project's repository, or pass --project DIR")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return c.fail(fmt.Sprintf("%s is not a folder", dir), "pass --project with the folder of your repository")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		return c.fail(fmt.Sprintf("cannot check %s: git is not on PATH", dir), fixGit)
	}
	top, err := run(ctx, git, "-C", dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return c.fail(fmt.Sprintf("%s is not a git repository", dir),
			fmt.Sprintf("run `git init` in %s and make a first commit, or pass --project with your repository's folder", dir))
	}
	top = strings.TrimSpace(top)
	head, err := run(ctx, git, "-C", top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
	if err != nil {
		q := shellQuote(top)
		return c.fail(fmt.Sprintf("%s has no commit yet: a workflow's worktree branches off one", top),
			fmt.Sprintf("make a first commit: git -C %s add -A && git -C %s commit -m \"initial commit\"", q, q))
	}
	on := "detached HEAD"
	if branch, err := run(ctx, git, "-C", top, "symbolic-ref", "--short", "-q", "HEAD"); err == nil {
		on = "branch " + strings.TrimSpace(branch)
	}
	head = strings.TrimSpace(head)
	if len(head) > 12 {
		head = head[:12]
	}
	return c.ok("%s at %s on %s", top, head, on)
}

func checkAgent(ctx context.Context, o Options) Check {
	c := Check{Name: "agent", Required: true}
	const install = "run `autonomous runtime install`"
	found, err := runtime.Find(o.ConfiguredCLI, o.Home)
	if errors.Is(err, runtime.ErrNotFound) {
		where := "on PATH"
		if o.Home != "" {
			where = "in the managed runtime (" + runtime.Manager{Home: o.Home}.CLIPath() + ") or on PATH"
		}
		return c.fail("no Claude Code CLI "+where, install)
	}
	if err != nil {
		return c.fail(err.Error(), "correct agent.cliPath in config.yaml, or remove it to use the managed runtime ("+install+")")
	}
	where := found.Path + " (" + describe(found.Source) + ")"
	fix := install
	switch found.Source {
	case runtime.SourceConfig:
		fix = "point agent.cliPath in config.yaml at Claude Code " + runtime.DefaultVersion + ", or remove it and " + install
	case runtime.SourcePath:
		fix = install + " (the managed runtime takes precedence over PATH)"
	}
	v, err := runtime.Version(ctx, found.Path)
	if err != nil {
		return c.fail(fmt.Sprintf("Claude Code at %s does not run: %v", where, err), fix)
	}
	if v != runtime.DefaultVersion {
		return c.warn(fmt.Sprintf("Claude Code %s at %s; autonomous is tested with %s", v, where, runtime.DefaultVersion), fix)
	}
	return c.ok("Claude Code %s at %s", v, where)
}

func describe(s runtime.Source) string {
	switch s {
	case runtime.SourceConfig:
		return "from config"
	case runtime.SourceRuntime:
		return "managed runtime"
	default:
		return "from PATH"
	}
}

// checkCredentials looks for any way the agent can reach a model. It says
// which variables are set and how long they are, never what they hold.
func checkCredentials(_ context.Context, o Options) Check {
	c := Check{Name: "credentials", Required: true}
	var have, problems []string
	for _, name := range []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"} {
		if v := o.Env(name); v != "" {
			have = append(have, fmt.Sprintf("%s is set (%d characters)", name, len(v)))
		}
	}
	if raw := o.Env("ANTHROPIC_BASE_URL"); raw != "" {
		if where, ok := gatewayHost(raw); ok {
			have = append(have, "ANTHROPIC_BASE_URL points at a gateway ("+where+")")
		} else {
			problems = append(problems, "ANTHROPIC_BASE_URL is set but is not an http(s) URL")
		}
	}
	for _, v := range []struct{ name, label string }{
		{"CLAUDE_CODE_USE_BEDROCK", "Amazon Bedrock"}, {"CLAUDE_CODE_USE_VERTEX", "Google Vertex AI"},
	} {
		if on, _ := strconv.ParseBool(o.Env(v.name)); on {
			have = append(have, fmt.Sprintf("%s is on (%s)", v.name, v.label))
		}
	}
	if path := credentialsFile(o.Env); path != "" {
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			have = append(have, "Claude login found ("+path+")")
		}
	}
	const fix = "set ANTHROPIC_API_KEY (a key from console.anthropic.com); or log in once by running `claude` and typing /login " +
		"(or run `claude setup-token` and set CLAUDE_CODE_OAUTH_TOKEN); or set ANTHROPIC_BASE_URL to your gateway"
	switch {
	case len(have) > 0 && len(problems) > 0:
		return c.warn(strings.Join(append(have, problems...), "; "), "set ANTHROPIC_BASE_URL to the gateway's URL, such as https://gateway.example.com, or unset it")
	case len(have) > 0:
		return c.ok("%s", strings.Join(have, "; "))
	case goruntime.GOOS == "darwin":
		// A login made on macOS lives in the Keychain, which doctor does not read.
		return c.warn(strings.Join(append(problems, "no API key or gateway set; a Claude login in the macOS Keychain cannot be checked"), "; "), fix)
	default:
		return c.fail(strings.Join(append(problems, "no API key, gateway or Claude login found"), "; "), fix)
	}
}

// credentialsFile is where Claude Code keeps a login on Linux.
func credentialsFile(env func(string) string) string {
	dir := env("CLAUDE_CONFIG_DIR")
	if dir == "" {
		home := env("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return ""
			}
		}
		dir = filepath.Join(home, ".claude")
	}
	return filepath.Join(dir, ".credentials.json")
}

// gatewayHost returns scheme://host of an http(s) URL: user info, path and
// query are left out because gateways carry keys in them.
func gatewayHost(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

// run runs a tool and returns its stdout; a failure carries its stderr.
func run(ctx context.Context, path string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := command(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			msg = ": " + truncate(msg, 300)
		}
		return stdout.String(), fmt.Errorf("%s %s: %w%s", path, strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

var dottedRE = regexp.MustCompile(`([0-9]+)\.([0-9]+)(?:\.([0-9]+))?`)

// parseDotted reads the first version number in a tool's output:
// "git version 2.39.5 (Apple Git-146)", "v20.20.2", "11.19.1".
func parseDotted(s string) ([3]int, bool) {
	m := dottedRE.FindStringSubmatch(s)
	if m == nil {
		return [3]int{}, false
	}
	var v [3]int
	for i := range 3 {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return [3]int{}, false
		}
		v[i] = n
	}
	return v, true
}

func atLeast(v, min [3]int) bool {
	for i := range 3 {
		if v[i] != min[i] {
			return v[i] > min[i]
		}
	}
	return true
}

func dotted(v [3]int) string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// shellQuote quotes a path for a command the user will paste.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

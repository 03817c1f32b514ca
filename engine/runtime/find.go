package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Source says where Find found the CLI.
type Source string

const (
	SourceConfig  Source = "config"  // the path configured by the user
	SourceRuntime Source = "runtime" // the managed runtime under the home folder
	SourcePath    Source = "path"    // `claude` on PATH
)

// Found is the CLI a session will run.
type Found struct {
	Path   string `json:"path"`
	Source Source `json:"source"`
}

// ErrNotFound means no Claude Code CLI was found anywhere Find looks.
var ErrNotFound = errors.New("the Claude Code CLI is not installed")

// versionTimeout bounds `claude --version`: it answers in milliseconds when
// healthy, but a cold 400 MB binary on a slow disk needs a few seconds.
const versionTimeout = 15 * time.Second

// Find returns the CLI to run, looking at the configured path first, then
// the managed runtime under home, then PATH. A configured path that is not an
// executable file is an error naming it: falling back silently would run a
// CLI the user did not choose.
func Find(configured, home string) (Found, error) {
	if configured != "" {
		p, err := checkConfigured(configured)
		if err != nil {
			return Found{}, err
		}
		return Found{Path: p, Source: SourceConfig}, nil
	}
	var managed string
	if home != "" {
		managed = cliIn(filepath.Join(home, "runtime"))
		if isExecutable(managed) {
			return Found{Path: managed, Source: SourceRuntime}, nil
		}
	}
	if p, err := exec.LookPath("claude"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return Found{Path: p, Source: SourcePath}, nil
	}
	where := "on PATH"
	if managed != "" {
		where = "at " + managed + " or on PATH"
	}
	// Callers add what to do: the CLI says `autonomous runtime install`, the
	// engine adds the doctor.
	return Found{}, fmt.Errorf("%w: not %s", ErrNotFound, where)
}

func checkConfigured(configured string) (string, error) {
	p := configured
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("configured agent CLI %q: %w", configured, err)
		}
		p = filepath.Join(home, rest)
	}
	if !strings.ContainsRune(p, filepath.Separator) {
		// A bare name such as "claude-beta" means "this command on PATH".
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("configured agent CLI %q: not found on PATH", configured)
		}
		p = found
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("configured agent CLI %q: %w", configured, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case err != nil && os.IsNotExist(err):
		return "", fmt.Errorf("configured agent CLI %q: %s does not exist", configured, abs)
	case err != nil:
		return "", fmt.Errorf("configured agent CLI %q: %w", configured, err)
	case fi.IsDir():
		return "", fmt.Errorf("configured agent CLI %q: %s is a directory, not the CLI", configured, abs)
	case fi.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("configured agent CLI %q: %s is not executable (chmod +x it)", configured, abs)
	}
	return abs, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}

// Version runs `<path> --version` and returns the version it reports, such as
// "2.1.331".
func Version(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := groupCommand(ctx, path, "--version")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	reapGroup(cmd)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s --version: %w", path, ctx.Err())
		}
		return "", fmt.Errorf("%s --version: %w%s", path, err, excerpt(stderr.String()))
	}
	v, err := parseVersion(stdout.String())
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", path, err)
	}
	return v, nil
}

var versionRE = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)

// parseVersion reads the first word of the first line, which is how the CLI
// prints it: "2.1.331 (Claude Code)".
func parseVersion(out string) (string, error) {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	fields := strings.Fields(line)
	if len(fields) > 0 {
		if m := versionRE.FindStringSubmatch(fields[0]); m != nil {
			return m[1], nil
		}
	}
	return "", fmt.Errorf("no version number in its output %q", truncate(line, 80))
}

// exactVersionRE accepts what npm can pin exactly; a range or a dist-tag
// ("latest") would make "already installed?" unanswerable.
var exactVersionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$`)

// ValidateVersion returns an error saying why v is not an exact version
// Install accepts, or nil.
func ValidateVersion(v string) error {
	if !exactVersionRE.MatchString(v) {
		return fmt.Errorf("version %q is not an exact version such as %s (ranges and tags like \"latest\" are not pinned)", v, DefaultVersion)
	}
	return nil
}

func excerpt(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return ": " + truncate(s, 400)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

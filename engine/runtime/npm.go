package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// npmInstall runs npm to install spec into the npm prefix dir.
func (m Manager) npmInstall(ctx context.Context, prefix, spec string, progress io.Writer) error {
	npm := m.NPM
	if npm == "" {
		npm = "npm"
	}
	out := &lineTail{w: progress}
	// --loglevel=http prints one line per download: without a terminal npm
	// is otherwise silent for the minute a 400 MB first install can take.
	cmd := groupCommand(ctx, npm, "install", "--no-audit", "--no-fund", "--save-exact", "--loglevel=http", "--prefix", prefix, spec)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	err := cmd.Run()
	reapGroup(cmd)
	out.flush()
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return interrupted(ctx, spec)
	case cmd.ProcessState == nil:
		return fmt.Errorf("install %s: start %s: %w\nhint: npm comes with Node.js (18 or newer): install it, or put npm on PATH", spec, npm, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "install %s: npm failed (%v)", spec, err)
	for _, l := range errorLines(out.lines) {
		b.WriteString("\n    " + l)
	}
	b.WriteString("\nhint: " + npmHint(out.lines, spec, m.Home))
	return fmt.Errorf("%s", b.String())
}

// errorLines picks what to show of npm's output: its error lines when it
// printed any (the warnings before them are noise), else its last lines.
func errorLines(lines []string) []string {
	const show = 15
	var errs []string
	for _, l := range lines {
		if strings.HasPrefix(l, "npm error") || strings.HasPrefix(l, "npm ERR!") {
			errs = append(errs, l)
		}
	}
	if len(errs) == 0 {
		errs = lines
	}
	if len(errs) > show {
		errs = errs[len(errs)-show:]
	}
	return errs
}

// npmHint names the likely cause of a failed npm run and what to do about it.
func npmHint(lines []string, spec, home string) string {
	text := strings.Join(lines, "\n")
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(text, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("ETARGET", "E404", "No matching version", "404 Not Found"):
		return fmt.Sprintf("%s is not on the registry: list the published versions with `npm view %s versions`, and check `npm config get registry`", spec, Package)
	case has("ENOSPC", "no space left"):
		return fmt.Sprintf("the disk is full: the runtime needs about 500 MB free in %s and in npm's cache (`npm config get cache`)", home)
	case has("EACCES", "EPERM"):
		return fmt.Sprintf("permission denied: check that you own %s and npm's cache folder (`npm config get cache`)", home)
	case has("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH", "network", "proxy", "CERT", "certificate"):
		return "npm could not reach the registry: check the network, `npm config get registry`, and the proxy settings (HTTPS_PROXY, `npm config get proxy`)"
	}
	return fmt.Sprintf("check the network and `npm config get registry`, the proxy settings (HTTPS_PROXY, `npm config get proxy`), and free disk space in %s (about 500 MB)", home)
}

// lineTail copies whole lines to w and keeps the last ones for the error
// message. exec calls Write from one goroutine at a time when Stdout and
// Stderr are the same writer.
type lineTail struct {
	w       io.Writer
	partial []byte
	lines   []string
}

const keepLines = 60

func (t *lineTail) Write(p []byte) (int, error) {
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.line(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	if len(t.partial) > 64<<10 { // a runaway line without newline
		t.flush()
	}
	return len(p), nil
}

func (t *lineTail) flush() {
	if len(t.partial) > 0 {
		t.line(string(t.partial))
		t.partial = nil
	}
}

func (t *lineTail) line(s string) {
	s = strings.TrimRight(s, "\r")
	fmt.Fprintln(t.w, s) // progress is informational: a broken terminal must not fail the install
	t.lines = append(t.lines, s)
	if len(t.lines) > 2*keepLines {
		t.lines = append(t.lines[:0], t.lines[len(t.lines)-keepLines:]...)
	}
}

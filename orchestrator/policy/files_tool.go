package policy

import (
	"encoding/json"
	"fmt"
	"path/filepath"
)

// fileTools are the agent's built-in tools that write files, with the input
// field naming the file. The shell parser never sees these writes, so the
// hook checks them here: without this, the Write tool could put a key in
// ~/.ssh or a git hook in the main checkout, which the Bash policy refuses.
var fileToolPathField = map[string]string{
	"Write":        "file_path",
	"Edit":         "file_path",
	"MultiEdit":    "file_path",
	"NotebookEdit": "notebook_path",
}

// FileTools lists the tool names the hook checks besides Bash, for the
// settings file's matcher.
func FileTools() []string { return []string{"Write", "Edit", "MultiEdit", "NotebookEdit"} }

// DecideFileWrite judges a write by one of the agent's file tools to path
// (relative paths resolve against cwd): allowed inside the worktree and the
// other writable places (temp dirs, WritablePaths), refused elsewhere.
func (p *Policy) DecideFileWrite(path, cwd string) Decision {
	if path == "" {
		return Decision{Reason: "the file tool named no file"}
	}
	abs := path
	if !filepath.IsAbs(abs) {
		if cwd == "" {
			cwd = p.root
		}
		abs = filepath.Join(cwd, abs)
	}
	real := resolvePath(filepath.Clean(abs), true)
	if real == "" {
		return Decision{Reason: fmt.Sprintf("%s: too many symbolic links", path), Command: path}
	}
	for _, base := range p.writable {
		if within(base, real) {
			return Decision{Allowed: true}
		}
	}
	return Decision{
		Reason:  fmt.Sprintf("writes outside the worktree are not allowed: %s", shownPath(path, real)),
		Command: path,
	}
}

// fileToolPath extracts the path a file tool writes to; ok is false for
// tools the hook does not check.
func fileToolPath(tool string, input json.RawMessage) (path string, ok bool, err error) {
	field, ok := fileToolPathField[tool]
	if !ok {
		return "", false, nil
	}
	var fields map[string]any
	if err := json.Unmarshal(input, &fields); err != nil {
		return "", true, fmt.Errorf("tool_input: %w", err)
	}
	s, _ := fields[field].(string)
	if s == "" {
		return "", true, fmt.Errorf("tool_input.%s is missing", field)
	}
	return s, true, nil
}

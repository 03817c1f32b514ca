package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func lspFrame(body string) string {
	return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
}

// lspMessages parses everything the server wrote to stdout as LSP frames,
// failing on any byte that is not part of one: stdout is the protocol stream.
func lspMessages(t *testing.T, stdout string) []map[string]json.RawMessage {
	t.Helper()
	var out []map[string]json.RawMessage
	rest := stdout
	for rest != "" {
		var n int
		header, after, ok := strings.Cut(rest, "\r\n\r\n")
		if !ok {
			t.Fatalf("stdout ends with %q, not a frame", rest)
		}
		if _, err := fmt.Sscanf(header, "Content-Length: %d", &n); err != nil || len(after) < n {
			t.Fatalf("stdout has %q where a frame header belongs", header)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(after[:n]), &m); err != nil {
			t.Fatalf("stdout carries a body that is not JSON: %q", after[:n])
		}
		out = append(out, m)
		rest = after[n:]
	}
	return out
}

// `autonomous lsp` speaks LSP on stdin and stdout, logs to stderr and to
// <home>/logs/lsp.log, and exits 0 only after shutdown and exit.
func TestLSPOverStdio(t *testing.T) {
	t.Parallel()
	dir, _, _ := newRepo(t)
	initialize := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":"file://%s","capabilities":{}}}`, dir)
	initialized := `{"jsonrpc":"2.0","method":"initialized","params":{}}`
	models := `{"jsonrpc":"2.0","id":2,"method":"workspace/executeCommand","params":{"command":"autonomous.models.list","arguments":[{}]}}`
	shutdown := `{"jsonrpc":"2.0","id":3,"method":"shutdown"}`
	exit := `{"jsonrpc":"2.0","method":"exit"}`
	tests := []struct {
		name    string
		args    []string
		input   []string
		code    int
		answers []string // ids answered without error
		stderr  string
	}{
		{"shutdown then exit", []string{"--stdio"}, []string{initialize, initialized, models, shutdown, exit}, 0, []string{"1", "2", "3"}, "serving LSP"},
		{"exit without shutdown", nil, []string{initialize, initialized, exit}, 1, []string{"1"}, "exit without shutdown"},
		{"the editor closes stdin", nil, []string{initialize, initialized}, 1, []string{"1"}, "closed the connection without shutdown"},
		{"an unexpected argument", []string{"serve"}, nil, 2, nil, `unexpected argument "serve"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			var in strings.Builder
			for _, body := range tc.input {
				in.WriteString(lspFrame(body))
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, autonomousBin, append([]string{"lsp"}, tc.args...)...)
			cmd.Dir, cmd.Env = dir, gitEnv(home)
			cmd.Stdin = strings.NewReader(in.String())
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("exit code %d, want %d\nstderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr does not say %q:\n%s", tc.stderr, stderr.String())
			}
			var answered []string
			for _, m := range lspMessages(t, stdout.String()) {
				if id, ok := m["id"]; ok && m["error"] == nil {
					answered = append(answered, string(id))
				}
				if string(m["id"]) == "2" && !bytes.Contains(m["result"], []byte(`"default":"claude-sonnet-4-5"`)) {
					t.Errorf("models.list answered %s", m["result"])
				}
			}
			if !slices.Equal(answered, tc.answers) {
				t.Errorf("answered ids %v, want %v", answered, tc.answers)
			}
			if tc.code == 2 {
				return
			}
			log, err := os.ReadFile(filepath.Join(home, "logs", "lsp.log"))
			if err != nil || !bytes.Contains(log, []byte("serving LSP")) || !bytes.Contains(log, []byte("initialized")) {
				t.Errorf("<home>/logs/lsp.log: %v\n%s", err, log)
			}
			if !bytes.Contains(log, []byte("pid="+strconv.Itoa(cmd.ProcessState.Pid()))) {
				t.Errorf("the log file does not name the process:\n%s", log)
			}
		})
	}
}

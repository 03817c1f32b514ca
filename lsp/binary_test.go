package lsp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/lsp/lsptest"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// lspProcess is `autonomous lsp` run as an editor runs it.
type lspProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	stderr *syncBuffer
	exited chan struct{}
}

func startBinary(t *testing.T, dir string, env []string) *lspProcess {
	t.Helper()
	cmd := exec.Command(autonomousBinary(t), "lsp")
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &lspProcess{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if p.stdout, err = cmd.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.exited) }()
	// A test stuck reading a reply that never comes fails instead of
	// hanging: the killed server's stdout ends.
	watchdog := time.AfterFunc(4*time.Minute, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	t.Cleanup(func() {
		watchdog.Stop()
		select {
		case <-p.exited:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
		}
		if t.Failed() {
			t.Logf("autonomous lsp stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *lspProcess) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("autonomous lsp did not exit within %s", d)
		return -1
	}
}

// conn is the editor's end of the process: its stdout to read, its stdin to
// write; closing it closes stdin, as an editor that dies does.
func (p *lspProcess) conn() io.ReadWriteCloser {
	return struct {
		io.Reader
		io.WriteCloser
	}{p.stdout, p.stdin}
}

func testEnv(home string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTONOMOUS_HOME=") {
			env = append(env, kv)
		}
	}
	return append(append(env, "AUTONOMOUS_HOME="+home), extra...)
}

// response is a JSON-RPC response read off the binary's stdout.
type response struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Method string `json:"method"`
}

// readFrame reads one message the strict way: a Content-Length header, a
// blank line, exactly that many bytes of JSON. Anything else on stdout fails.
func readFrame(t *testing.T, r *bufio.Reader) response {
	t.Helper()
	header, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading a header: %v", err)
	}
	var n int
	if _, err := fmt.Sscanf(header, "Content-Length: %d\r\n", &n); err != nil {
		t.Fatalf("stdout has %q where a Content-Length header belongs", header)
	}
	if blank, _ := r.ReadString('\n'); blank != "\r\n" {
		t.Fatalf("no blank line after the header: %q", blank)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		t.Fatal(err)
	}
	var resp response
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("stdout carries a body that is not JSON: %q", body)
	}
	return resp
}

func frame(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

// Malformed input on the wire — garbage bytes, wrong Content-Length, bodies
// that are not JSON-RPC — is answered with errors, and the server carries on:
// the requests after it are served, and stdout never carries anything but
// well-formed messages.
func TestBinaryMalformedInput(t *testing.T) {
	t.Parallel()
	dir := repo(t)
	p := startBinary(t, dir, testEnv(t.TempDir()))
	out := bufio.NewReader(p.stdout)
	initialize := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":%q,"capabilities":{}}}`, lsptest.URI(dir))
	list := `{"jsonrpc":"2.0","id":2,"method":"workspace/executeCommand","params":{"command":"autonomous.workflow.list"}}`

	tests := []struct {
		name  string
		input string
		code  int
		want  string
	}{
		{"garbage bytes", "\x00\x01garbage\xff\r\n", protocol.CodeParseError, "not an LSP message header"},
		{"body that is not JSON", frame(`{"jsonrpc": "2.0", "id": 7,`), protocol.CodeParseError, "not valid JSON"},
		{"Content-Length too short", "Content-Length: 10\r\n\r\n" + list, protocol.CodeParseError, "not valid JSON"},
		{"Content-Length too long", fmt.Sprintf("Content-Length: %d\r\n\r\n%sxxxxxxxxxx", len(list)+10, list), protocol.CodeParseError, "not valid JSON"},
		{"Content-Length not a number", "Content-Length: lots\r\n\r\n", protocol.CodeParseError, "bad Content-Length"},
		{"no Content-Length", "Content-Type: application/json\r\n\r\n", protocol.CodeParseError, "without a Content-Length"},
		{"JSON that is no message", frame(`{"hello": "world"}`), protocol.CodeInvalidRequest, "not a JSON-RPC 2.0 request"},
		{"a batch", frame(`[` + list + `]`), protocol.CodeInvalidRequest, "not a JSON-RPC 2.0 request"},
		{"a request before initialize", frame(list), protocol.CodeServerNotInitialized, "initialize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := io.WriteString(p.stdin, tc.input); err != nil {
				t.Fatal(err)
			}
			var errs []string
			for {
				resp := readFrame(t, out)
				if resp.Error == nil {
					t.Fatalf("%s was answered without an error: %+v", tc.name, resp)
				}
				errs = append(errs, fmt.Sprintf("%d %s", resp.Error.Code, resp.Error.Message))
				if resp.Error.Code == tc.code && strings.Contains(resp.Error.Message, tc.want) {
					break
				}
				// What a too-short body leaves behind is skipped as garbage first.
				if len(errs) > 3 {
					t.Fatalf("answers %q, want %d %q", errs, tc.code, tc.want)
				}
			}
		})
	}
	// Then a well-behaved session.
	io.WriteString(p.stdin, frame(initialize))
	if resp := readFrame(t, out); string(resp.ID) != "1" || resp.Error != nil || !bytes.Contains(resp.Result, []byte(protocol.CmdWorkflowCreate)) {
		t.Fatalf("initialize after the garbage: %+v", resp)
	}
	io.WriteString(p.stdin, frame(`{"jsonrpc":"2.0","method":"initialized","params":{}}`)+frame(list))
	if resp := readFrame(t, out); string(resp.ID) != "2" || string(resp.Result) != "[]" {
		t.Fatalf("list after the garbage: %+v %s", resp, resp.Result)
	}
	io.WriteString(p.stdin, frame(`{"jsonrpc":"2.0","id":3,"method":"shutdown"}`))
	if resp := readFrame(t, out); string(resp.ID) != "3" || resp.Error != nil {
		t.Fatalf("shutdown: %+v", resp)
	}
	io.WriteString(p.stdin, frame(`{"jsonrpc":"2.0","method":"exit"}`))
	if code := p.wait(t, 20*time.Second); code != 0 {
		t.Errorf("exit code %d after shutdown and exit, want 0", code)
	}
	if rest, _ := io.ReadAll(out); len(rest) > 0 {
		t.Errorf("stdout after exit: %q", rest)
	}
	if log := p.stderr.String(); !strings.Contains(log, "malformed message") || !strings.Contains(log, "skipped bytes") {
		t.Errorf("the log does not tell what was wrong:\n%s", log)
	}
}

// The editor vanishing in the middle of a session (its end of the pipe
// closed) makes the server stop the agent, record the workflow as paused and
// resumable, and exit within seconds, leaving no agent process behind.
func TestBinaryClientVanishes(t *testing.T) {
	t.Parallel()
	scenario, err := os.ReadFile(filepath.Join("testdata", "sleep.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const arg = "94.713" // a sleep of its own, apart from TestStopMidSession's
	opts, _ := agentServer(t, bytes.ReplaceAll(scenario, []byte("93.217"), []byte(arg)))
	dir := plainRepo(t)
	p := startBinary(t, dir, opts.Env)
	ed := lsptest.Connect(context.Background(), p.conn(), lsptest.Options{WorkDoneProgress: true})
	if _, err := ed.Initialize(ctxT(t, 30*time.Second), dir); err != nil {
		t.Fatal(err)
	}
	var wf created
	if err := ed.Execute(ctxT(t, 30*time.Second), protocol.CmdWorkflowCreate, map[string]any{"name": "Orphaned", "spec": "Add a health check.\n"}, &wf); err != nil {
		t.Fatal(err)
	}
	if err := ed.Execute(ctxT(t, 30*time.Second), protocol.CmdWorkflowStart, map[string]any{"id": wf.ID}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, "the agent to run its sleep", func() bool { return len(sleepersOf(arg)) == 1 })
	store := workflow.NewStore(dir)
	rec, err := store.Get(wf.ID)
	if err != nil || rec.Agent == nil || rec.Status != workflow.Running {
		t.Fatalf("before the editor goes: %+v, %v", rec, err)
	}
	pgid := rec.Agent.PGID

	gone := time.Now()
	p.stdin.Close()
	code := p.wait(t, 30*time.Second)
	t.Logf("the server exited %s after the editor went, with code %d", time.Since(gone).Round(time.Millisecond), code)
	if took := time.Since(gone); took > 15*time.Second {
		t.Errorf("the server took %s to exit", took)
	}
	if code != 1 {
		t.Errorf("exit code %d, want 1 (no shutdown)", code)
	}
	rec, err = store.Get(wf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != workflow.Paused || rec.Agent != nil || !workflow.CanTransition(rec.Status, workflow.Running) {
		t.Errorf("after the editor went the workflow is %s (agent %+v), want paused and resumable; reason %q", rec.Status, rec.Agent, rec.Reason)
	}
	if groupAlive(pgid) {
		t.Errorf("the agent's process group %d is still alive", pgid)
	}
	if left := sleepersOf(arg); len(left) > 0 {
		t.Errorf("the agent's sleep is still running: %v", left)
	}
	if _, err := store.Lock(wf.ID); err != nil {
		t.Errorf("the workflow is still locked, so it cannot be resumed: %v", err)
	}
	if !strings.Contains(p.stderr.String(), "closing project") {
		t.Errorf("the log does not say the project was closed:\n%s", p.stderr.String())
	}
}

// A second, independent client: vscode-languageserver-protocol 3.18.5 from
// `node --test` against the built binary. npm installs it once into the
// user's cache.
func TestNodeClient(t *testing.T) {
	t.Parallel()
	src, err := filepath.Abs(filepath.Join("testdata", "node-client"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	work := filepath.Join(cache, "autonomous-test", fmt.Sprintf("node-client-%x", hash(lock)))
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"package.json", "package-lock.json", "protocol.test.cjs"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := ctxT(t, 4*time.Minute)
	if _, err := os.Stat(filepath.Join(work, "node_modules", "vscode-languageserver-protocol", "package.json")); err != nil {
		npm := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		npm.Dir = work
		npm.Env = append(os.Environ(), "npm_config_update_notifier=false")
		if out, err := npm.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", work, err, out)
		}
	}
	ids, _ := json.Marshal(protocol.CommandIDs())
	node := exec.CommandContext(ctx, "node", "--test", "protocol.test.cjs")
	node.Dir = work
	node.Env = testEnv(t.TempDir(), "AUTONOMOUS_BIN="+autonomousBinary(t), "AUTONOMOUS_REPO="+repo(t), "AUTONOMOUS_COMMANDS="+string(ids))
	out, err := node.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("# pass 5")) || !bytes.Contains(out, []byte("# fail 0")) {
		t.Errorf("node --test did not run the 5 checks:\n%s", out)
	}
}

func hash(b []byte) uint32 {
	var h uint32 = 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

// sleepersOf returns the pids of `sleep arg` processes.
func sleepersOf(arg string) []int {
	var pids []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		args := strings.Split(string(cmdline), "\x00")
		if len(args) >= 2 && filepath.Base(args[0]) == "sleep" && args[1] == arg {
			pids = append(pids, pid)
		}
	}
	return pids
}

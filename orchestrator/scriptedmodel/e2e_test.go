package scriptedmodel

// End-to-end tests: the real Claude Code CLI (agenttest.ClaudePath) runs in
// a real git repository against this server and really runs the tools. They
// also pin down how the CLI reports failures (see the package comment): the
// session runner and the loop depend on those fields.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
)

const scenarioDir = "../../testdata/scenarios"

// cliRun is what one run of the CLI printed.
type cliRun struct {
	lines     []map[string]any // every stream-json line
	result    map[string]any   // the last "result" line (nil when none)
	exitCode  int
	stderr    string
	configDir string
	elapsed   time.Duration
}

func (r cliRun) linesOf(typ, subtype string) []map[string]any {
	var out []map[string]any
	for _, l := range r.lines {
		if l["type"] == typ && (subtype == "" || l["subtype"] == subtype) {
			out = append(out, l)
		}
	}
	return out
}

// toolUses returns the tool_use blocks of the assistant lines, in order.
func (r cliRun) toolUses() []map[string]any {
	var out []map[string]any
	for _, l := range r.linesOf("assistant", "") {
		msg, _ := l["message"].(map[string]any)
		content, _ := msg["content"].([]any)
		for _, c := range content {
			if b, _ := c.(map[string]any); b["type"] == "tool_use" {
				out = append(out, b)
			}
		}
	}
	return out
}

// gitRepo makes an empty repository with one commit, like a user's project.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "--allow-empty", "-m", "init"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	// The CLI reports the resolved path as its working directory.
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// runCLI runs `claude -p prompt` in dir against srv with an empty, private
// config dir, in its own process group (killed with it on timeout).
func runCLI(t *testing.T, srv *Server, dir, prompt string, env ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	run := cliRun{configDir: t.TempDir()}
	cmd := exec.CommandContext(ctx, agenttest.ClaudePath(t), "-p", prompt,
		"--output-format", "stream-json", "--verbose",
		"--model", "claude-sonnet-4-5", "--allowedTools", "Write,Read,Edit,Bash")
	cmd.Dir = dir
	cmd.Env = append(withoutVars(agenttest.OfflineEnv(srv.URL()), "CLAUDE_CONFIG_DIR", "CLAUDE_CODE_MAX_RETRIES"),
		"CLAUDE_CONFIG_DIR="+run.configDir)
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	begin := time.Now()
	err := cmd.Run()
	run.elapsed = time.Since(begin)
	if cmd.Process != nil {
		// Reap anything the CLI left in its group (shells it started).
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	run.stderr = stderr.String()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		run.exitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("run claude: %v\nstderr: %s", err, run.stderr)
	}
	if ctx.Err() != nil {
		t.Fatalf("claude did not finish in time\nstderr: %s", run.stderr)
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("claude printed a line that is not JSON: %q", sc.Text())
		}
		run.lines = append(run.lines, l)
		if l["type"] == "result" {
			run.result = l
		}
	}
	if run.result == nil {
		t.Fatalf("claude ended (exit %d) without a result line\nstderr: %s", run.exitCode, run.stderr)
	}
	return run
}

func withoutVars(env []string, names ...string) []string {
	var out []string
outer:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue outer
			}
		}
		out = append(out, kv)
	}
	return out
}

func startFile(t *testing.T, name string) *Server {
	t.Helper()
	sc, err := LoadScenario(filepath.Join(scenarioDir, name))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func assertNoFailures(t *testing.T, srv *Server) {
	t.Helper()
	for _, f := range srv.Failures() {
		t.Errorf("scripted model: %s", f)
	}
}

// assertResult checks the fields of the result line that callers branch on.
func assertResult(t *testing.T, run cliRun, want map[string]any) {
	t.Helper()
	for k, v := range want {
		got, ok := run.result[k]
		if !ok {
			t.Errorf("result has no %q (want %v)", k, v)
			continue
		}
		if s, isPrefix := v.(prefix); isPrefix {
			if gs, _ := got.(string); !strings.HasPrefix(gs, string(s)) {
				t.Errorf("result %s = %q, want it to start with %q", k, got, s)
			}
			continue
		}
		if got != v {
			t.Errorf("result %s = %#v, want %#v", k, got, v)
		}
	}
}

type prefix string

// A session that writes, reads (by a templated absolute path), edits and
// runs an allowed command: the files are on disk, the server got each tool's
// result, and the CLI priced the session from the usage the server sent.
func TestCLIEditsFiles(t *testing.T) {
	t.Parallel()
	srv := startFile(t, "edit-files.yaml")
	dir := gitRepo(t)
	run := runCLI(t, srv, dir, "Add a notes file.")

	// num_turns is not the number of model requests: 4 requests with 4
	// tool calls (two in one turn) count as 5.
	assertResult(t, run, map[string]any{"subtype": "success", "is_error": false, "num_turns": 5.0, "result": "Done: notes/hello.txt says hello to the scripted model."})
	if run.exitCode != 0 {
		t.Errorf("exit code %d", run.exitCode)
	}
	// Four turns at the default usage (1200 in, 18000 cache read, 180 out)
	// at Sonnet 4.5 prices ($3, $0.30, $15 per million).
	if cost, _ := run.result["total_cost_usd"].(float64); math.Abs(cost-4*0.0117) > 1e-9 {
		t.Errorf("total_cost_usd = %v, want %v", cost, 4*0.0117)
	}
	data, err := os.ReadFile(filepath.Join(dir, "notes", "hello.txt"))
	if err != nil || string(data) != "hello scripted model\n" {
		t.Errorf("notes/hello.txt = %q, %v; want the edited text", data, err)
	}
	uses := run.toolUses()
	if len(uses) != 4 {
		t.Fatalf("tool calls in the stream = %d, want 4", len(uses))
	}
	if got := uses[1]["input"].(map[string]any)["file_path"]; got != filepath.Join(dir, "notes", "hello.txt") {
		t.Errorf("templated Read path = %q, want under %s", got, dir)
	}

	reqs := srv.Requests()
	var names []string
	for _, r := range reqs {
		if r.Cwd != dir || r.Prompt != "Add a notes file." || r.Session != "edit-files" || r.Conversation != run.result["session_id"] {
			t.Errorf("request recorded as %+v; want cwd %s, the prompt, the session and the CLI's session id", r, dir)
		}
		for _, tr := range r.ToolResults {
			if tr.IsError {
				t.Errorf("%s failed: %s", tr.Name, tr.Content)
			}
			names = append(names, tr.Name)
		}
	}
	if strings.Join(names, ",") != "Write,Read,Edit,Bash" {
		t.Errorf("tool results received: %v", names)
	}
	if bash := reqs[3].ToolResults[1].Content; !strings.Contains(bash, "hello scripted model") || !strings.Contains(bash, "?? notes/") {
		t.Errorf("Bash result = %q, want the file and git status", bash)
	}
	assertNoFailures(t, srv)

	// The CLI kept its state in the private config dir, not in ~/.claude.
	transcripts, _ := filepath.Glob(filepath.Join(run.configDir, "projects", "*", run.result["session_id"].(string)+".jsonl"))
	if len(transcripts) != 1 {
		t.Errorf("no transcript of session %v under CLAUDE_CONFIG_DIR %s", run.result["session_id"], run.configDir)
	}
}

// Two CLI sessions in a row are told apart by their prompts, whatever the
// order of the scenario; a third gets the fallback.
func TestCLIConversationsMatchedByPrompt(t *testing.T) {
	t.Parallel()
	srv := startFile(t, "two-sessions.yaml")
	dir := gitRepo(t)
	runs := []cliRun{
		runCLI(t, srv, dir, "Initialize the project from the spec."),
		runCLI(t, srv, dir, "Implement the next feature."),
		runCLI(t, srv, dir, "Implement the next feature."),
	}
	for i, want := range []string{"Ledger written.", "Feature implemented.", "Nothing more to do."} {
		assertResult(t, runs[i], map[string]any{"is_error": false, "result": want})
	}
	if data, err := os.ReadFile(filepath.Join(dir, ".autonomous", "feature_list.json")); err != nil || string(data) != "[]\n" {
		t.Errorf("feature_list.json = %q, %v", data, err)
	}
	// {{.Session}} is the conversation's number on the server: the second.
	if data, err := os.ReadFile(filepath.Join(dir, "coding.txt")); err != nil || string(data) != "session 2\n" {
		t.Errorf("coding.txt = %q, %v", data, err)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Session+"/"+r.Kind)
	}
	if want := "initializer/turn initializer/turn coding/turn coding/turn /fallback"; strings.Join(got, " ") != want {
		t.Errorf("requests = %v, want %s", got, want)
	}
	assertNoFailures(t, srv)
}

// A 429 with retry-after: 1 once: the CLI says it retries, waits, asks again
// and the session completes.
func TestCLIRetriesRateLimit(t *testing.T) {
	t.Parallel()
	srv := startFile(t, "failures.yaml")
	run := runCLI(t, srv, gitRepo(t), "case: rate-limited-once")
	assertResult(t, run, map[string]any{"is_error": false, "result": "Done after a retry."})
	retries := run.linesOf("system", "api_retry")
	if len(retries) != 1 || retries[0]["error_status"] != 429.0 || retries[0]["error"] != "rate_limit" || retries[0]["attempt"] != 1.0 || retries[0]["max_retries"] != 10.0 {
		t.Errorf("api_retry lines = %v, want one for the 429 (default max_retries 10)", retries)
	}
	if d, _ := retries[0]["retry_delay_ms"].(float64); d < 1000 || d > 3000 {
		t.Errorf("retry_delay_ms = %v, want retry-after (1 s) plus jitter", d)
	}
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].Status != 429 || reqs[1].Attempt != 2 || reqs[1].Status != 200 || reqs[1].Turn != 0 {
		t.Errorf("requests = %+v, want turn 1 twice (429 then 200), then turn 2", reqs)
	}
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < time.Second {
		t.Errorf("the CLI retried after %v, before retry-after", gap)
	}
	assertNoFailures(t, srv)
}

// Failures the CLI gives up on: how each is reported on stdout. These are
// the fields the session runner and the loop branch on.
func TestCLIReportsPermanentFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		env      []string
		attempts []string // status/stream of each request the server saw
		retries  int      // api_retry lines
		result   map[string]any
	}{
		{
			name: "rate-limited", env: []string{"CLAUDE_CODE_MAX_RETRIES=1"},
			attempts: []string{"429/stream", "429/stream"}, retries: 1,
			result: map[string]any{"subtype": "success", "is_error": true, "terminal_reason": "api_error", "api_error_status": 429.0, "api_error_type": "rate_limit_error",
				"result": "API Error: Request rejected (429) · Number of request tokens has exceeded your per-minute rate limit (scripted)"},
		},
		{
			// retry-after above 60 s: no retry even with the default budget.
			name: "rate-limited-long", attempts: []string{"429/stream"},
			result: map[string]any{"is_error": true, "api_error_status": 429.0, "api_error_type": "rate_limit_error", "result": prefix("API Error: Request rejected (429)")},
		},
		{
			name: "overloaded", env: []string{"CLAUDE_CODE_MAX_RETRIES=0"}, attempts: []string{"529/stream"},
			result: map[string]any{"subtype": "success", "is_error": true, "terminal_reason": "api_error", "api_error_status": 529.0, "api_error_type": "overloaded_error",
				"result": prefix("API Error: 529 Overloaded (scripted). This is a server-side issue")},
		},
		{
			name: "server-error", env: []string{"CLAUDE_CODE_MAX_RETRIES=0"}, attempts: []string{"500/stream"},
			result: map[string]any{"is_error": true, "api_error_status": 500.0, "api_error_type": "api_error", "result": prefix("API Error: 500 scripted upstream failure")},
		},
		{
			// After the last streamed attempt, one more without streaming.
			name: "cut", env: []string{"CLAUDE_CODE_MAX_RETRIES=0"}, attempts: []string{"200/stream/cut", "200/whole/cut"},
			result: map[string]any{"subtype": "success", "is_error": true, "terminal_reason": "api_error", "api_error_status": nil, "api_error": "connection_failed",
				"result": prefix("API Error: Connection to the API was lost")},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := startFile(t, "failures.yaml")
			run := runCLI(t, srv, gitRepo(t), "case: "+c.name, c.env...)
			assertResult(t, run, c.result)
			if run.exitCode != 1 {
				t.Errorf("exit code %d, want 1", run.exitCode)
			}
			if n := len(run.linesOf("system", "api_retry")); n != c.retries {
				t.Errorf("%d api_retry lines, want %d", n, c.retries)
			}
			// Even with anthropic-ratelimit-unified-* headers, an API-key
			// session gets no rate_limit_event: the reset time is not in the stream.
			if n := len(run.linesOf("rate_limit_event", "")); n != 0 {
				t.Errorf("%d rate_limit_event lines: the package comment needs updating", n)
			}
			var got []string
			for _, r := range srv.Requests() {
				s := map[bool]string{true: "stream", false: "whole"}[r.Stream]
				a := strconv.Itoa(r.Status) + "/" + s
				if r.Cut {
					a += "/cut"
				}
				got = append(got, a)
			}
			if strings.Join(got, " ") != strings.Join(c.attempts, " ") {
				t.Errorf("server saw %v, want %v", got, c.attempts)
			}
			// The error is also the text of a synthetic assistant message.
			last := run.linesOf("assistant", "")
			if len(last) == 0 || last[len(last)-1]["message"].(map[string]any)["model"] != "<synthetic>" {
				t.Errorf("no <synthetic> assistant line before the result")
			}
			assertNoFailures(t, srv)
		})
	}
}

// A stream cut once is retried and the session goes on.
func TestCLIRecoversFromCutStream(t *testing.T) {
	t.Parallel()
	srv := startFile(t, "failures.yaml")
	run := runCLI(t, srv, gitRepo(t), "case: cut-once")
	assertResult(t, run, map[string]any{"is_error": false, "result": "Recovered from the cut."})
	retries := run.linesOf("system", "api_retry")
	if len(retries) != 1 || retries[0]["error_status"] != nil || retries[0]["error"] != "unknown" {
		t.Errorf("api_retry lines = %v, want one with error_status null, error unknown", retries)
	}
	// The partial text of the cut attempt is not shown as a message.
	for _, l := range run.linesOf("assistant", "") {
		for _, c := range l["message"].(map[string]any)["content"].([]any) {
			if text, _ := c.(map[string]any)["text"].(string); text != "" && text != "This sentence is cut once." && text != "Recovered from the cut." {
				t.Errorf("assistant text %q", text)
			}
		}
	}
	assertNoFailures(t, srv)
}

// A slow stream (40 ms between events) is only slow.
func TestCLISlowStream(t *testing.T) {
	t.Parallel()
	srv := startFile(t, "slow-stream.yaml")
	dir := gitRepo(t)
	run := runCLI(t, srv, dir, "Write slowly.")
	assertResult(t, run, map[string]any{"is_error": false, "result": "Done, slowly."})
	if data, err := os.ReadFile(filepath.Join(dir, "slow.txt")); err != nil || string(data) != "written after a slow stream\n" {
		t.Errorf("slow.txt = %q, %v", data, err)
	}
	// Turn 1 has ~12 events and turn 2 ~6, 40 ms apart.
	if run.elapsed < 600*time.Millisecond {
		t.Errorf("the session took %v: the stream was not slow", run.elapsed)
	}
	if api, _ := run.result["duration_api_ms"].(float64); api < 600 {
		t.Errorf("duration_api_ms = %v, want the slow streaming time counted", api)
	}
	assertNoFailures(t, srv)
}

// Package session runs one session of the Claude Code CLI headless: it builds
// the command, starts it in its own process group with our security hook
// wired in, turns its stdout into typed events, copies that stdout byte for
// byte to a raw log, stops it on request, and sums it up in a Result.
//
// Nothing here knows about workflows: the engine decides the prompt, the
// model, the tools and the budget of each session.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/autonomous-coding/autonomous/orchestrator/mcp"
	"github.com/autonomous-coding/autonomous/orchestrator/pricing"
	"github.com/autonomous-coding/autonomous/orchestrator/stream"
)

// Options describe one session.
type Options struct {
	// CLI is the path of the claude executable.
	CLI string
	// Dir is the working directory: the workflow's worktree.
	Dir string
	// Prompt is sent on the CLI's stdin.
	Prompt string
	// Model is passed as --model; empty leaves the CLI's default.
	Model string
	// MaxTurns is passed as --max-turns; 0 means no limit.
	MaxTurns int
	// BudgetUSD is passed as --max-budget-usd; 0 means no budget.
	BudgetUSD float64
	// AllowedTools is passed as --allowedTools. Nil means DefaultTools plus
	// mcp__<name> for each server of MCPConfig. Bare Write, Edit, MultiEdit
	// and NotebookEdit are confined to Dir (they become "Write(//Dir/**)"):
	// unconfined, they would let the agent write anywhere.
	AllowedTools []string
	// MCPConfig is the --mcp-config file's content (see package mcp); nil
	// means no MCP servers. The user's own MCP config is never used.
	MCPConfig []byte
	// HookCommand runs before every Bash call (PreToolUse) and decides
	// whether it may run, e.g. "/abs/autonomous hook pre-tool-use --root /wt
	// --workflow id --session 3". Required when Bash is allowed.
	HookCommand string
	// RawLogPath receives the CLI's stdout byte for byte. Parent folders are
	// created; an existing file is never overwritten. Empty: no raw log.
	RawLogPath string
	// Env is the CLI's environment; nil inherits the engine's. API keys,
	// ANTHROPIC_BASE_URL and proxies pass through it and are never logged.
	Env []string
	// Prices give the cost when the CLI does not report one.
	Prices pricing.Prices
	// StopGrace is how long each step of stopping (SIGINT, SIGTERM) waits
	// before the next; 0 means DefaultStopGrace.
	StopGrace time.Duration
	// Stderr, when set, gets a copy of the CLI's stderr.
	Stderr io.Writer
	// ExtraArgs are added to the command line after ours.
	ExtraArgs []string
	// Logger, when set, gets the command line (no environment, no prompt)
	// and the outcome.
	Logger *slog.Logger
}

// DefaultStopGrace is the default wait between the signals of a stop.
const DefaultStopGrace = 3 * time.Second

// DefaultTools are the built-in tools a coding session may use without
// asking, as named by CLI 2.1.331 (it has no Glob, Grep, MultiEdit or
// TodoWrite; read-only tools need no permission). Every Bash command still
// goes through the PreToolUse hook.
func DefaultTools() []string { return []string{"Read", "Write", "Edit", "Bash"} }

// StderrTailBytes is how much of the end of stderr a Result keeps.
const StderrTailBytes = 4 << 10

// eventBuffer is the capacity of the Events channel; events beyond it wait in
// memory (see Events).
const eventBuffer = 256

// Session is a running agent session.
type Session struct {
	opts    Options
	grace   time.Duration
	cmd     *exec.Cmd
	args    []string
	pid     int
	mark    string
	tmpDir  string
	started time.Time

	rawLog   *os.File
	rawErr   error // first error writing the raw log
	stdoutR  *os.File
	stderrR  *os.File
	stderr   tailBuffer
	parser   *stream.Parser
	queue    eventQueue
	events   chan stream.Event
	eventsOn sync.Once

	// Written by the stdout reader only, read after readers are done.
	init      *stream.Init
	final     *stream.Result
	denied    []stream.Denial
	resetsAt  *time.Time
	malformed int
	// resetsFromEvent: resetsAt came from a rate_limit_event, which beats
	// the CLI's own retry delays.
	resetsFromEvent bool

	stopOnce sync.Once
	stopping chan struct{} // closed when Stop is first called
	exited   chan struct{} // closed when the CLI has been reaped
	waitErr  error         // from cmd.Wait
	// stoppedEarly: Stop came before the CLI ended by itself.
	stoppedEarly bool
	done         chan struct{} // closed when the Result is ready
	result       *Result
	err          error
}

// Start starts a session. It returns once the CLI is running; the session
// goes on until it ends by itself, Stop is called, or ctx is cancelled
// (which stops it the same way).
func Start(ctx context.Context, opts Options) (*Session, error) {
	s := &Session{
		opts:     opts,
		grace:    opts.StopGrace,
		parser:   stream.NewParser(),
		events:   make(chan stream.Event, eventBuffer),
		stopping: make(chan struct{}),
		exited:   make(chan struct{}),
		done:     make(chan struct{}),
	}
	if s.grace <= 0 {
		s.grace = DefaultStopGrace
	}
	s.queue.init()
	if err := s.prepare(); err != nil {
		s.cleanup()
		return nil, err
	}
	if err := s.spawn(); err != nil {
		s.cleanup()
		return nil, err
	}
	go s.run(ctx)
	return s, nil
}

func (s *Session) prepare() error {
	o := &s.opts
	if o.CLI == "" {
		return errors.New("start agent session: no CLI path given")
	}
	if st, err := os.Stat(o.Dir); err != nil || !st.IsDir() {
		return fmt.Errorf("start agent session: working directory %q is not a directory", o.Dir)
	}
	if strings.TrimSpace(o.Prompt) == "" {
		return errors.New("start agent session: the prompt is empty")
	}
	if o.MaxTurns < 0 || o.BudgetUSD < 0 {
		return fmt.Errorf("start agent session: max turns (%d) and budget (%g) must not be negative", o.MaxTurns, o.BudgetUSD)
	}
	tools := o.AllowedTools
	var mcpNames []string
	if o.MCPConfig != nil {
		names, err := mcp.ServerNames(o.MCPConfig)
		if err != nil {
			return fmt.Errorf("start agent session: %w", err)
		}
		mcpNames = names
	}
	if tools == nil {
		tools = DefaultTools()
		for _, n := range mcpNames {
			tools = append(tools, "mcp__"+n)
		}
	}
	tools = confineFileTools(tools, o.Dir)
	if slices.ContainsFunc(tools, isBashRule) && strings.TrimSpace(o.HookCommand) == "" {
		return errors.New("start agent session: Bash is allowed but no HookCommand is set: commands would run unchecked")
	}

	mark := make([]byte, 16)
	if _, err := rand.Read(mark); err != nil {
		return fmt.Errorf("start agent session: session mark: %w", err)
	}
	s.mark = hex.EncodeToString(mark)

	// Our files go in a private folder: the settings decide which hook
	// guards the shell, so nobody else may write them.
	dir, err := os.MkdirTemp("", "autonomous-session-")
	if err != nil {
		return fmt.Errorf("start agent session: %w", err)
	}
	s.tmpDir = dir
	settings, err := settingsJSON(o.HookCommand)
	if err != nil {
		return err
	}
	settingsPath := filepath.Join(dir, "settings.json")
	if err := os.WriteFile(settingsPath, settings, 0o600); err != nil {
		return fmt.Errorf("start agent session: write settings: %w", err)
	}
	args := []string{"-p", "--output-format", "stream-json", "--verbose"}
	if o.Model != "" {
		args = append(args, "--model", o.Model)
	}
	if o.MaxTurns > 0 {
		args = append(args, "--max-turns", strconv.Itoa(o.MaxTurns))
	}
	args = append(args, "--settings", settingsPath)
	if o.MCPConfig != nil {
		p := filepath.Join(dir, "mcp.json")
		if err := os.WriteFile(p, o.MCPConfig, 0o600); err != nil {
			return fmt.Errorf("start agent session: write MCP config: %w", err)
		}
		args = append(args, "--mcp-config", p)
	}
	// Always strict: MCP servers from the user's own config would bring tools
	// nobody allowed for this session.
	args = append(args, "--strict-mcp-config")
	// "=" keeps the variadic option from swallowing what follows.
	args = append(args, "--allowedTools="+strings.Join(tools, ","))
	if o.BudgetUSD > 0 {
		args = append(args, "--max-budget-usd", strconv.FormatFloat(o.BudgetUSD, 'f', -1, 64))
	}
	s.args = append(args, o.ExtraArgs...)

	if o.RawLogPath != "" {
		if err := os.MkdirAll(filepath.Dir(o.RawLogPath), 0o755); err != nil {
			return fmt.Errorf("start agent session: create log folder: %w", err)
		}
		f, err := os.OpenFile(o.RawLogPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("start agent session: create raw log: %w", err)
		}
		s.rawLog = f
	}
	return nil
}

// isFileTool: the tools that write files. A bare allow rule for one of them
// lets the agent write anywhere on the machine (CLI 2.1.331 created files
// outside its working directory with --allowedTools=Write).
func isFileTool(tool string) bool {
	switch tool {
	case "Write", "Edit", "MultiEdit", "NotebookEdit":
		return true
	}
	return false
}

// confineFileTools turns bare file-tool rules into rules for dir and below
// ("Write(//abs/dir/**)"), the way the security policy confines shell
// commands to the worktree. Rules that name their own paths are kept.
func confineFileTools(tools []string, dir string) []string {
	dirs := []string{dir}
	if abs, err := filepath.Abs(dir); err == nil {
		dirs[0] = abs
	}
	// The CLI resolves its working directory; a path through a symlink must
	// match too.
	if real, err := filepath.EvalSymlinks(dirs[0]); err == nil && real != dirs[0] {
		dirs = append(dirs, real)
	}
	out := make([]string, 0, len(tools)+2)
	for _, t := range tools {
		if !isFileTool(t) {
			out = append(out, t)
			continue
		}
		for _, d := range dirs {
			out = append(out, t+"(/"+filepath.ToSlash(d)+"/**)")
		}
	}
	return out
}

func isBashRule(tool string) bool { return tool == "Bash" || strings.HasPrefix(tool, "Bash(") }

// hookMatcher names the tools the PreToolUse hook judges: Bash, and the file
// tools, whose writes the hook confines to the worktree as a second line
// behind the path-scoped --allowedTools rules (and to log every write).
const hookMatcher = "Bash|Write|Edit|MultiEdit|NotebookEdit"

// settingsJSON is the --settings file: the PreToolUse hook on Bash and the file tools.
func settingsJSON(hook string) ([]byte, error) {
	type hookCmd struct {
		Type    string `json:"type"`
		Command string `json:"command"`
	}
	type matcher struct {
		Matcher string    `json:"matcher"`
		Hooks   []hookCmd `json:"hooks"`
	}
	settings := map[string]any{}
	if strings.TrimSpace(hook) != "" {
		settings["hooks"] = map[string][]matcher{
			"PreToolUse": {{Matcher: hookMatcher, Hooks: []hookCmd{{Type: "command", Command: hook}}}},
		}
	}
	data, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("start agent session: settings: %w", err)
	}
	return data, nil
}

func (s *Session) spawn() error {
	o := &s.opts
	// The prompt goes through a file rather than a pipe: no goroutine to feed
	// it, and nothing to block on if the CLI dies before reading it.
	promptPath := filepath.Join(s.tmpDir, "prompt.txt")
	if err := os.WriteFile(promptPath, []byte(o.Prompt), 0o600); err != nil {
		return fmt.Errorf("start agent session: write prompt: %w", err)
	}
	stdin, err := os.Open(promptPath)
	if err != nil {
		return fmt.Errorf("start agent session: %w", err)
	}
	defer stdin.Close()
	// Our own pipes, so that Wait does not wait for output the CLI's
	// orphans may hold open: after the CLI exits we decide how long to drain.
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("start agent session: %w", err)
	}
	defer stdoutW.Close()
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		stdoutR.Close()
		return fmt.Errorf("start agent session: %w", err)
	}
	defer stderrW.Close()
	s.stdoutR, s.stderrR = stdoutR, stderrR

	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	cmd := exec.Command(o.CLI, s.args...)
	cmd.Dir = o.Dir
	cmd.Env = append(slices.Clip(env), MarkEnv+"="+s.mark)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdoutW, stderrW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.cmd = cmd
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start agent session: run %s: %w", o.CLI, err)
	}
	s.pid = cmd.Process.Pid
	if o.Logger != nil {
		o.Logger.Info("agent session started", "command", s.CommandLine(), "dir", o.Dir, "pid", s.pid)
	}
	return nil
}

// cleanup removes what prepare and spawn made, when Start fails.
func (s *Session) cleanup() {
	if s.rawLog != nil {
		name := s.rawLog.Name()
		s.rawLog.Close()
		os.Remove(name) // empty: nothing ran
	}
	if s.stdoutR != nil {
		s.stdoutR.Close()
	}
	if s.stderrR != nil {
		s.stderrR.Close()
	}
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
}

// PID is the CLI's process id.
func (s *Session) PID() int { return s.pid }

// PGID is the CLI's process group id (the CLI leads its own group). Record
// it: after an engine crash, ReapGroup(pgid) ends what is left.
func (s *Session) PGID() int { return s.pid }

// Mark is the value of MarkEnv in the environment of the session's processes.
func (s *Session) Mark() string { return s.mark }

// CommandLine is the command as a shell would read it. It holds no secret:
// the prompt goes on stdin and credentials in the environment.
func (s *Session) CommandLine() string {
	parts := []string{shellQuote(s.opts.CLI)}
	for _, a := range s.args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Events delivers the session's events in order, and is closed after the
// last one. Delivery never holds up the CLI: events that the reader has not
// taken yet wait in memory (they are small: texts are bounded), so a reader
// may be slow, but once it has called Events it must read until the channel
// closes. A caller that only wants the Result need not call Events at all.
func (s *Session) Events() <-chan stream.Event {
	s.eventsOn.Do(func() { go s.forward() })
	return s.events
}

func (s *Session) forward() {
	defer close(s.events)
	for {
		ev, ok := s.queue.pop()
		if !ok {
			return
		}
		s.events <- ev
	}
}

// Wait blocks until the session has ended and everything it left has been
// cleaned up, and returns its Result, which is never nil. When the CLI ends,
// by itself or not, whatever its session left running (background commands,
// dev servers, MCP servers, browsers: every process carrying the session's
// mark) is ended too, with SIGTERM and after the grace period SIGKILL, so that
// the next session starts from a clean machine. The error reports
// a failure of ours (the raw log could not be written, processes survived
// SIGKILL), not of the agent: that is in Result.Outcome.
func (s *Session) Wait() (*Result, error) {
	<-s.done
	return s.result, s.err
}

// Stop ends the session: SIGINT to the CLI's process group (the CLI then
// stops its tools and writes its result line), SIGTERM after the grace
// period, SIGKILL after another; then every process the session left is
// ended too. It returns when all of them are gone, with the same error as
// Wait. Calling it again, or after the end, is harmless.
func (s *Session) Stop() error {
	s.stopOnce.Do(func() {
		close(s.stopping)
		go s.terminate()
	})
	<-s.done
	return s.err
}

func (s *Session) terminate() {
	pgid := s.pid
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		_ = syscall.Kill(-pgid, sig)
		select {
		case <-s.exited:
			return
		case <-time.After(s.grace):
		}
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

func (s *Session) run(ctx context.Context) {
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		s.readStdout()
	}()
	go func() {
		defer readers.Done()
		s.readStderr()
	}()
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Stop()
		case <-s.done:
		}
	}()

	<-s.exited
	select {
	case <-s.stopping:
		s.stoppedEarly = true
	default:
	}
	// What the CLI leaves behind goes with it: background commands of the
	// Bash tool (started in sessions of their own), dev servers, browsers.
	reapErr := reap(s.pid, s.mark, s.grace)
	// Output still in the pipes is read; a writer that escaped the reaping
	// cannot keep us waiting beyond this.
	deadline := time.Now().Add(2 * time.Second)
	_ = s.stdoutR.SetReadDeadline(deadline)
	_ = s.stderrR.SetReadDeadline(deadline)
	readers.Wait()
	s.stdoutR.Close()
	s.stderrR.Close()

	var errs []error
	if reapErr != nil {
		errs = append(errs, fmt.Errorf("agent session %d: %w", s.pid, reapErr))
	}
	if s.rawLog != nil {
		if s.rawErr == nil {
			s.rawErr = s.rawLog.Sync()
		}
		if err := s.rawLog.Close(); s.rawErr == nil {
			s.rawErr = err
		}
		if s.rawErr != nil {
			errs = append(errs, fmt.Errorf("write raw log %s: %w", s.opts.RawLogPath, s.rawErr))
		}
	}
	os.RemoveAll(s.tmpDir)
	s.result = s.summarize()
	s.err = errors.Join(errs...)
	if l := s.opts.Logger; l != nil {
		l.Info("agent session ended", "pid", s.pid, "outcome", s.result.Outcome, "exit", s.result.ExitCode,
			"cost_usd", s.result.CostUSD, "turns", s.result.Turns, "duration", s.result.Duration.Round(time.Millisecond))
	}
	s.queue.close()
	close(s.done)
}

func (s *Session) readStdout() {
	var r io.Reader = s.stdoutR
	if s.rawLog != nil {
		r = io.TeeReader(r, rawWriter{s})
	}
	err := s.parser.ReadAll(r, s.handle)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, os.ErrClosed) {
		s.handle(stream.Event{Kind: stream.KindMalformed, Time: time.Now(), IsError: true, Text: err.Error()})
	}
}

// rawWriter copies to the raw log; a failed write is remembered and later
// ones skipped, so that the stream is still read (a CLI blocked on a full
// pipe would hang) and the events still flow.
type rawWriter struct{ s *Session }

func (w rawWriter) Write(p []byte) (int, error) {
	if w.s.rawErr == nil {
		if _, err := w.s.rawLog.Write(p); err != nil {
			w.s.rawErr = err
		}
	}
	return len(p), nil
}

func (s *Session) handle(ev stream.Event) {
	switch ev.Kind {
	case stream.KindStarted:
		s.init = ev.Init
	case stream.KindResult:
		s.final = ev.Result
	case stream.KindDenied:
		s.denied = append(s.denied, *ev.Denied)
	case stream.KindMalformed:
		s.malformed++
	case stream.KindRateLimit:
		rl := ev.RateLimit
		switch {
		case rl.ResetsAt != nil:
			s.resetsAt, s.resetsFromEvent = rl.ResetsAt, true
		case rl.RetryIn > 0 && !s.resetsFromEvent:
			t := ev.Time.Add(rl.RetryIn)
			s.resetsAt = &t
		}
	}
	s.queue.push(ev)
}

func (s *Session) readStderr() {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.stderrR.Read(buf)
		if n > 0 {
			s.stderr.Write(buf[:n])
			if s.opts.Stderr != nil {
				// The caller's writer failing must not cost us the tail.
				_, _ = s.opts.Stderr.Write(buf[:n])
			}
		}
		if err != nil {
			return
		}
	}
}

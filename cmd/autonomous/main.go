// Command autonomous runs long-running autonomous coding workflows on existing
// codebases: as a stdio LSP server for editors (`autonomous lsp`), as a
// headless runner (`autonomous run`), and as the hook the agent calls back
// into before each shell command (`autonomous hook pre-tool-use`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run returns a *usageError for bad usage (exit 2)
// and any other error for a failure (exit 1).
type command struct {
	name    string
	usage   string
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

// cli carries what every subcommand needs, so that tests can run main's logic
// in-process with their own streams.
type cli struct {
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	project string // --project, "" = the git root above the working directory
}

// usageError marks bad command-line usage: exit code 2 and the usage line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exitError lets a command choose its exit code without printing more
// (for example `validate` exits 1 when it found errors it already printed).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func commands() []command {
	return []command{
		// One row per subcommand; each lives in its own file.
		{name: "workflow", usage: workflowUsage, summary: "create, list, show, pause, stop or delete workflows", run: cmdWorkflow},
		{name: "status", usage: "status [--json]", summary: "a table of the project's workflows and their progress", run: cmdStatus},
		{name: "run", usage: "run [--workflow ID | --name NAME --spec FILE] [--base REF] [--model M] [--max-sessions N] [--budget-usd X]", summary: "run a workflow in the foreground until it stops", run: cmdRun},
		{name: "validate", usage: "validate [--workflow ID]", summary: "check the architecture docs (.schema/) against the code", run: cmdValidate},
		{name: "demo", usage: "demo [--dir DIR]", summary: "run a whole workflow offline on a small demo project", run: cmdDemo},
		{name: "doctor", usage: "doctor [--json]", summary: "check git, node, npm, the agent CLI and credentials", run: cmdDoctor},
		{name: "runtime", usage: runtimeUsage, summary: "install or inspect the managed Claude Code CLI", run: cmdRuntime},
		{name: "hook", usage: hookUsage, summary: "the agent's PreToolUse hook: apply the bash security policy", run: cmdHook},
		{name: "lsp", usage: lspUsage, summary: "serve the Language Server Protocol on stdio for VS Code, Neovim and other editors", run: cmdLSP},
	}
}

func main() {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(c.main(ctx, os.Args[1:]))
}

// main parses the global flags, dispatches, and maps errors to exit codes.
func (c *cli) main(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("autonomous", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.project, "project", c.project, "project directory (default: the git root above the current directory)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.printUsage(c.stdout)
			return 0
		}
		fmt.Fprintf(c.stderr, "autonomous: %v\n", err)
		c.printUsage(c.stderr)
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		c.printUsage(c.stdout)
		if len(rest) == 0 {
			return 2
		}
		return 0
	}
	for _, cmd := range commands() {
		if cmd.name != rest[0] {
			continue
		}
		err := cmd.run(ctx, c, rest[1:])
		return c.exitCode(cmd, err)
	}
	fmt.Fprintf(c.stderr, "autonomous: unknown command %q\n", rest[0])
	c.printUsage(c.stderr)
	return 2
}

func (c *cli) exitCode(cmd command, err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "autonomous %s: %s\nusage: autonomous %s\n", cmd.name, ue.msg, cmd.usage)
		return 2
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(c.stdout, "usage: autonomous %s\n", cmd.usage)
		return 0
	default:
		fmt.Fprintf(c.stderr, "autonomous %s: %v\n", cmd.name, err)
		return 1
	}
}

func (c *cli) printUsage(w io.Writer) {
	fmt.Fprintln(w, "autonomous runs autonomous coding workflows on existing codebases.")
	fmt.Fprintln(w, "\nusage: autonomous [--project DIR] <command> [arguments]\n\ncommands:")
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, cmd := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(w, "\nRun `autonomous <command> -h` for a command's flags.")
}

// newFlagSet returns a flag set whose parse errors become usage errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args and turns flag errors into usage errors; it
// accepts flags after positional arguments too (`show ID --json`).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s", err.Error())
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

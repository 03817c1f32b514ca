package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/autonomous-coding/autonomous/engine/config"
	"github.com/autonomous-coding/autonomous/lsp"
)

const lspUsage = "lsp [--log FILE] [--debug]"

// cmdLSP serves the Language Server Protocol on stdin and stdout for an
// editor. Nothing else may reach stdout: the log goes to stderr and to
// <home>/logs/lsp.log. Whichever way the session ends (shutdown and exit,
// the editor going away, a signal), every workflow this server drives is
// left paused and resumable.
func cmdLSP(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("lsp")
	logFile := fs.String("log", "", "also append the log to `FILE` (default <home>/logs/lsp.log)")
	debug := fs.Bool("debug", false, "log the method of every message")
	// Editors' client libraries add these; stdio is the only transport.
	fs.Bool("stdio", true, "serve on stdin and stdout (the default and only transport)")
	fs.Int("clientProcessId", 0, "the editor's process id (accepted, unused)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	home := config.Home()
	if *logFile == "" {
		*logFile = filepath.Join(home, "logs", "lsp.log")
	}
	srv, err := lsp.NewServer(lsp.Options{Home: home, Log: c.stderr, LogFile: *logFile, Debug: *debug})
	if err != nil {
		return err
	}
	err = srv.Serve(ctx, stdio{in: c.stdin, out: c.stdout})
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return nil
	case errors.Is(err, lsp.ErrExitWithoutShutdown), errors.Is(err, lsp.ErrClientGone):
		// The LSP spec's exit code for a client that skipped shutdown.
		fmt.Fprintf(c.stderr, "autonomous lsp: %v; workflows were left paused\n", err)
		return &exitError{code: 1}
	}
	return err
}

// stdio is the editor's end of the connection.
type stdio struct {
	in  io.Reader
	out io.Writer
}

func (s stdio) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s stdio) Write(p []byte) (int, error) { return s.out.Write(p) }

// Close closes stdin, which ends the read loop; stdout stays open for
// whatever the process still has to say on its way out (nothing, in LSP).
func (s stdio) Close() error {
	if c, ok := s.in.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

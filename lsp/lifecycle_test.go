package lsp

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/lsp/lsptest"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

func TestCommandTableMatchesTheProtocolList(t *testing.T) {
	s, err := NewServer(Options{Home: t.TempDir(), SelfPath: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	table := s.commands()
	for _, id := range protocol.CommandIDs() {
		if table[id] == nil {
			t.Errorf("%s is advertised but not implemented", id)
		}
	}
	if len(table) != len(protocol.CommandIDs()) {
		t.Errorf("%d commands implemented, %d advertised", len(table), len(protocol.CommandIDs()))
	}
}

func TestInitializeAdvertisesEveryCommand(t *testing.T) {
	t.Parallel()
	h := serve(t, Options{}, lsptest.Options{})
	res, err := h.ed.Initialize(ctxT(t, 30*time.Second), repo(t))
	if err != nil {
		t.Fatal(err)
	}
	caps := res.Capabilities
	if caps.ExecuteCommandProvider == nil || !slices.Equal(caps.ExecuteCommandProvider.Commands, protocol.CommandIDs()) {
		t.Errorf("executeCommandProvider = %+v, want %v", caps.ExecuteCommandProvider, protocol.CommandIDs())
	}
	if caps.CodeLensProvider == nil {
		t.Error("no codeLensProvider")
	}
	if caps.Workspace == nil || caps.Workspace.WorkspaceFolders == nil || caps.Workspace.WorkspaceFolders.Supported == nil || !*caps.Workspace.WorkspaceFolders.Supported {
		t.Errorf("workspace folders not supported: %+v", caps.Workspace)
	}
	if res.ServerInfo == nil || res.ServerInfo.Name != "autonomous" {
		t.Errorf("serverInfo = %+v", res.ServerInfo)
	}
}

// The LSP life cycle: nothing before initialize, nothing but exit after
// shutdown, and Serve's result telling a clean exit from a client that
// skipped steps (the exit code of `autonomous lsp`).
func TestLifecycle(t *testing.T) {
	t.Parallel()
	dir := repo(t)

	t.Run("requests before initialize", func(t *testing.T) {
		h := serve(t, Options{}, lsptest.Options{})
		for _, method := range []string{"workspace/executeCommand", "shutdown", "textDocument/codeLens"} {
			err := h.ed.Call(ctxT(t, 10*time.Second), method, map[string]any{"command": protocol.CmdWorkflowList}, nil)
			if code, msg := rpcError(t, err); code != protocol.CodeServerNotInitialized || !strings.Contains(msg, "initialize") {
				t.Errorf("%s before initialize: %d %q, want %d", method, code, msg, protocol.CodeServerNotInitialized)
			}
		}
		// Notifications before initialize are dropped; the server still
		// initializes afterwards.
		h.ed.Notify(ctxT(t, 5*time.Second), "initialized", map[string]any{})
		if _, err := h.ed.Initialize(ctxT(t, 30*time.Second), dir); err != nil {
			t.Fatalf("initialize after early requests: %v", err)
		}
		_, err := h.ed.Initialize(ctxT(t, 30*time.Second), dir)
		if code, msg := rpcError(t, err); code != protocol.CodeInvalidRequest || !strings.Contains(msg, "once") {
			t.Errorf("second initialize: %d %q", code, msg)
		}
	})

	t.Run("shutdown then exit", func(t *testing.T) {
		h := start(t, Options{}, lsptest.Options{}, dir)
		if err := h.ed.Call(ctxT(t, 30*time.Second), "shutdown", nil, nil); err != nil {
			t.Fatal(err)
		}
		err := h.exec(protocol.CmdWorkflowList, nil, nil)
		if code, msg := rpcError(t, err); code != protocol.CodeInvalidRequest || !strings.Contains(msg, "shutting down") {
			t.Errorf("request after shutdown: %d %q", code, msg)
		}
		h.ed.Notify(ctxT(t, 5*time.Second), "exit", nil)
		if err := waitServed(t, h); err != nil {
			t.Errorf("Serve after shutdown and exit = %v, want nil", err)
		}
	})

	for _, tc := range []struct {
		name string
		end  func(h *harness)
		want error
	}{
		{"exit without shutdown", func(h *harness) { h.ed.Notify(ctxT(t, 5*time.Second), "exit", nil) }, ErrExitWithoutShutdown},
		{"client vanishes", func(h *harness) { h.ed.Close() }, ErrClientGone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Options{}, lsptest.Options{}, dir)
			tc.end(h)
			if err := waitServed(t, h); !errors.Is(err, tc.want) {
				t.Errorf("Serve = %v, want %v", err, tc.want)
			}
		})
	}
}

func waitServed(t *testing.T, h *harness) error {
	t.Helper()
	select {
	case err := <-h.served:
		h.served <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

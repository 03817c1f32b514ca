package lsp

import (
	"context"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"
	glspproto "github.com/tliron/glsp/protocol_3_16"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// initialize opens a project per workspace folder (or for rootUri, from
// clients without folders) and says what the server offers.
func (s *Server) initialize(params *glspproto.InitializeParams) (any, error) {
	s.mu.Lock()
	if s.state != stateNew {
		s.mu.Unlock()
		return nil, &jsonrpc2.Error{Code: protocol.CodeInvalidRequest, Message: "initialize was already received: it may be sent once"}
	}
	s.mu.Unlock()

	folders := params.WorkspaceFolders
	if len(folders) == 0 {
		switch {
		case params.RootURI != nil && *params.RootURI != "":
			folders = []glspproto.WorkspaceFolder{{URI: *params.RootURI}}
		case params.RootPath != nil && *params.RootPath != "":
			folders = []glspproto.WorkspaceFolder{{URI: *params.RootPath}}
		}
	}
	s.addFolders(s.ctx, folders, false)

	var caps clientCaps
	if w := params.Capabilities.Window; w != nil && w.WorkDoneProgress != nil {
		caps.workDoneProgress = *w.WorkDoneProgress
	}
	if w := params.Capabilities.Workspace; w != nil && w.CodeLens != nil && w.CodeLens.RefreshSupport != nil {
		caps.codeLensRefresh = *w.CodeLens.RefreshSupport
	}
	name := "unknown client"
	if params.ClientInfo != nil {
		name = params.ClientInfo.Name
	}
	s.mu.Lock()
	s.client = caps
	s.state = stateInitialized
	s.mu.Unlock()
	s.log.Info("initialized", "client", name, "folders", len(s.snapshot()), "workDoneProgress", caps.workDoneProgress)

	yes := true
	version := s.opts.Version
	if version == "" {
		version = "dev"
	}
	return glspproto.InitializeResult{
		Capabilities: glspproto.ServerCapabilities{
			ExecuteCommandProvider: &glspproto.ExecuteCommandOptions{Commands: protocol.CommandIDs()},
			CodeLensProvider:       &glspproto.CodeLensOptions{},
			Workspace: &glspproto.ServerCapabilitiesWorkspace{
				WorkspaceFolders: &glspproto.WorkspaceFoldersServerCapabilities{
					Supported:           &yes,
					ChangeNotifications: &glspproto.BoolOrString{Value: true},
				},
			},
		},
		ServerInfo: &glspproto.InitializeResultServerInfo{Name: "autonomous", Version: &version},
	}, nil
}

// initialized: the client is ready for notifications. The pumps start, the
// folder problems are shown, and the latest schema results of existing
// workflows become diagnostics, so that a user who opens the editor later
// sees them too.
func (s *Server) initialized() {
	for _, f := range s.snapshot() {
		f.start()
		s.goBackground(func() { s.publishExisting(f) })
	}
	s.flushProblems()
}

// shutdown stops every workflow this server drives (they stay paused and
// resumable) and answers once they are recorded as such.
func (s *Server) shutdown() deferred {
	s.mu.Lock()
	s.state = stateShutdown
	s.shutdownSeen = true
	s.mu.Unlock()
	s.log.Info("shutdown requested")
	return func(context.Context) (any, error) {
		s.closeAll()
		s.finishRequests(30 * time.Second)
		return nil, nil
	}
}

// exit closes the connection once every project is closed; Serve returns.
func (s *Server) exit() {
	s.mu.Lock()
	s.state = stateExited
	s.mu.Unlock()
	s.log.Info("exit requested")
	s.closeAll()
	s.finishRequests(10 * time.Second)
	// A client that pipelines shutdown and exit still gets the shutdown answer.
	waitGroupFor(&s.shutdownReply, 10*time.Second)
	s.connection().Close()
}

// waitGroupFor waits for wg, at most d, and says whether it finished.
func waitGroupFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

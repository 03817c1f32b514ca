package lsptest

import (
	"encoding/json"
	"fmt"
	"strings"

	glspproto "github.com/tliron/glsp/protocol_3_16"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// Condition is something to wait for in what the server sent.
type Condition struct {
	Desc string
	Met  func(log []Message) bool
}

// Received holds once a message with this method matches (match nil: any).
func Received(method, desc string, match func(json.RawMessage) bool) Condition {
	return Condition{Desc: method + ": " + desc, Met: func(log []Message) bool {
		for _, m := range log {
			if m.Method == method && (match == nil || match(m.Params)) {
				return true
			}
		}
		return false
	}}
}

// State holds once autonomous/state said workflow id is in status.
func State(id, status string) Condition {
	return Received(protocol.MethodState, fmt.Sprintf("workflow %s is %s", id, status), func(p json.RawMessage) bool {
		var st protocol.StateParams
		return json.Unmarshal(p, &st) == nil && st.WorkflowID == id && st.Status == status
	})
}

// ProgressComplete holds once autonomous/progress said every feature of
// workflow id passes.
func ProgressComplete(id string) Condition {
	return Received(protocol.MethodProgress, fmt.Sprintf("workflow %s at 100%%", id), func(p json.RawMessage) bool {
		var pr protocol.ProgressParams
		return json.Unmarshal(p, &pr) == nil && pr.WorkflowID == id && pr.Total > 0 && pr.Passing == pr.Total && pr.Percent == 100
	})
}

// LogContains holds once an autonomous/log batch of workflow id had an entry
// whose text contains text.
func LogContains(id, text string) Condition {
	return Received(protocol.MethodLog, fmt.Sprintf("workflow %s logged %q", id, text), func(p json.RawMessage) bool {
		var lp protocol.LogParams
		if json.Unmarshal(p, &lp) != nil || lp.WorkflowID != id {
			return false
		}
		for _, e := range lp.Entries {
			if strings.Contains(e.Text, text) {
				return true
			}
		}
		return false
	})
}

// Diagnostic is one published diagnostic. (glsp's own type cannot decode
// its code: IntegerOrString.UnmarshalJSON has a value receiver in v0.2.2.)
type Diagnostic struct {
	Range              glspproto.Range                          `json:"range"`
	Severity           glspproto.DiagnosticSeverity             `json:"severity"`
	Code               any                                      `json:"code"`
	Source             string                                   `json:"source"`
	Message            string                                   `json:"message"`
	RelatedInformation []glspproto.DiagnosticRelatedInformation `json:"relatedInformation"`
}

// Diagnostics holds once the latest diagnostics published for uri satisfy match.
func Diagnostics(uri, desc string, match func([]Diagnostic) bool) Condition {
	return Condition{Desc: "diagnostics of " + uri + ": " + desc, Met: func(log []Message) bool {
		diags, ok := LatestDiagnostics(log, uri)
		return ok && match(diags)
	}}
}

// LatestDiagnostics returns the last diagnostics published for uri.
func LatestDiagnostics(log []Message, uri string) ([]Diagnostic, bool) {
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Method != "textDocument/publishDiagnostics" {
			continue
		}
		var p struct {
			URI         string       `json:"uri"`
			Diagnostics []Diagnostic `json:"diagnostics"`
		}
		if json.Unmarshal(log[i].Params, &p) == nil && p.URI == uri {
			return p.Diagnostics, true
		}
	}
	return nil, false
}

// ShowMessage holds once window/showMessage said something containing text.
func ShowMessage(text string) Condition {
	return Received("window/showMessage", fmt.Sprintf("a message containing %q", text), func(p json.RawMessage) bool {
		var m glspproto.ShowMessageParams
		return json.Unmarshal(p, &m) == nil && strings.Contains(m.Message, text)
	})
}

// States returns the statuses autonomous/state announced for workflow id, in order.
func States(log []Message, id string) []string {
	var out []string
	for _, m := range log {
		var st protocol.StateParams
		if m.Method == protocol.MethodState && json.Unmarshal(m.Params, &st) == nil && st.WorkflowID == id {
			out = append(out, st.Status)
		}
	}
	return out
}

// WorkDone is one $/progress value, with its token.
type WorkDone struct {
	Token      string  `json:"-"`
	Kind       string  `json:"kind"`
	Title      string  `json:"title"`
	Message    string  `json:"message"`
	Percentage *uint32 `json:"percentage"`
}

// WorkDoneProgress returns the $/progress values the server sent, in order.
func WorkDoneProgress(log []Message) []WorkDone {
	var out []WorkDone
	for _, m := range log {
		if m.Method != "$/progress" {
			continue
		}
		var p struct {
			Token json.RawMessage `json:"token"`
			Value WorkDone        `json:"value"`
		}
		if json.Unmarshal(m.Params, &p) != nil {
			continue
		}
		var tok string
		if json.Unmarshal(p.Token, &tok) != nil {
			tok = string(p.Token)
		}
		p.Value.Token = tok
		out = append(out, p.Value)
	}
	return out
}

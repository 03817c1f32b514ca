package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// commandFunc runs one command with its raw arguments object. It runs off the
// read loop, in its own goroutine; ctx ends if the client cancels the request
// or the server stops.
type commandFunc func(ctx context.Context, args json.RawMessage) (any, error)

// commands maps each command id to its implementation (cmd_*.go). A test
// checks it against protocol.Commands, both ways.
func (s *Server) commands() map[string]commandFunc {
	return map[string]commandFunc{
		protocol.CmdWorkflowCreate: s.cmdWorkflowCreate,
		protocol.CmdWorkflowList:   s.cmdWorkflowList,
		protocol.CmdWorkflowGet:    s.cmdWorkflowGet,
		protocol.CmdWorkflowStart:  s.cmdWorkflowStart,
		protocol.CmdWorkflowPause:  s.cmdWorkflowPause,
		protocol.CmdWorkflowResume: s.cmdWorkflowResume,
		protocol.CmdWorkflowStop:   s.cmdWorkflowStop,
		protocol.CmdWorkflowDelete: s.cmdWorkflowDelete,
		protocol.CmdSchemaValidate: s.cmdSchemaValidate,
		protocol.CmdSpecGet:        s.cmdSpecGet,
		protocol.CmdSpecSave:       s.cmdSpecSave,
		protocol.CmdSpecImport:     s.cmdSpecImport,
		protocol.CmdLogTail:        s.cmdLogTail,
		protocol.CmdModelsList:     s.cmdModelsList,
		protocol.CmdRuntimeStatus:  s.cmdRuntimeStatus,
		protocol.CmdRuntimeInstall: s.cmdRuntimeInstall,
		protocol.CmdConfigGet:      s.cmdConfigGet,
		protocol.CmdConfigUpdate:   s.cmdConfigUpdate,
		protocol.CmdDoctor:         s.cmdDoctor,
	}
}

// executeCommand checks the envelope of workspace/executeCommand on the read
// loop and returns the command's work as a deferred result.
func (s *Server) executeCommand(raw json.RawMessage) (deferred, error) {
	var params struct {
		Command   string            `json:"command"`
		Arguments []json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(raw, &params); err != nil {
		return nil, invalidParams("workspace/executeCommand: %v", err)
	}
	run, ok := s.commands()[params.Command]
	if !ok {
		if params.Command == "" {
			return nil, invalidParams("workspace/executeCommand: no command given")
		}
		return nil, invalidParams("unknown command %q (this server executes: %s)", params.Command, strings.Join(protocol.CommandIDs(), ", "))
	}
	var args json.RawMessage
	switch len(params.Arguments) {
	case 0:
	case 1:
		args = params.Arguments[0]
	default:
		return nil, invalidParams("%s takes one JSON object in arguments[0], got %d arguments", params.Command, len(params.Arguments))
	}
	args = bytes.TrimSpace(args)
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	if args[0] != '{' {
		return nil, invalidParams("%s takes one JSON object in arguments[0], got %s", params.Command, jsonKind(args))
	}
	return func(ctx context.Context) (any, error) {
		return run(ctx, args)
	}, nil
}

// decodeArgs decodes a command's arguments object into dst strictly: an
// unknown field, a field of the wrong type, or a missing or empty required
// one (tagged required:"true"; required:"present" accepts null) is an
// InvalidParams error naming the field.
func decodeArgs(command string, args json.RawMessage, dst any) error {
	fields := argFields(dst)
	var present map[string]json.RawMessage
	if err := json.Unmarshal(args, &present); err != nil {
		return invalidParams("%s: arguments[0] is not a JSON object: %v", command, err)
	}
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil && !errors.Is(err, io.EOF) {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return invalidParams("%s: argument %q must be %s, got %s", command, typeErr.Field, describeType(typeErr.Type), jsonKind(present[typeErr.Field]))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.TrimPrefix(err.Error(), "json: unknown field ")
			return invalidParams("%s: unknown argument %s (it takes: %s)", command, name, strings.Join(names(fields), ", "))
		}
		return invalidParams("%s: %v", command, err)
	}
	for _, f := range fields {
		if f.required == "" {
			continue
		}
		v, ok := present[f.name]
		if !ok || string(v) == "null" && f.required != requiredPresent {
			return invalidParams("%s: missing argument %q", command, f.name)
		}
		if string(v) == `""` {
			return invalidParams("%s: argument %q is empty", command, f.name)
		}
	}
	return nil
}

type argField struct {
	name     string
	required string // "", "true", or "present" (null allowed)
}

const requiredPresent = "present"

func argFields(dst any) []argField {
	t := reflect.TypeOf(dst).Elem()
	var out []argField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, argField{name: name, required: f.Tag.Get("required")})
	}
	return out
}

func names(fields []argField) []string {
	list := make([]string, len(fields))
	for i, f := range fields {
		list[i] = f.name
		if f.required != "" {
			list[i] += " (required)"
		}
	}
	return list
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// jsonKind names the kind of a JSON value for an error message.
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return fmt.Sprintf("the number %s", v)
}

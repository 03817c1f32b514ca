package scriptedmodel

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
	"time"
)

// TemplateData is what templates in a scenario can use:
// {{.Cwd}}, {{.Session}}, {{.Env "NAME"}} and {{.UnixIn 3600}}.
type TemplateData struct {
	// Cwd is the primary working directory the CLI reports for the conversation.
	Cwd string
	// Session is the 1-based number of the conversation on this server.
	Session int
}

// Env returns the server process's environment variable name.
func (TemplateData) Env(name string) string { return os.Getenv(name) }

// UnixIn returns the Unix time (seconds) that is secs from now, as the
// anthropic-ratelimit-unified-*-reset headers carry it.
func (TemplateData) UnixIn(secs int) int64 {
	return time.Now().Add(time.Duration(secs) * time.Second).Unix()
}

func execTemplate(tpl *template.Template, data TemplateData) (string, error) {
	var b strings.Builder
	if err := tpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("template %s: %w", tpl.Name(), err)
	}
	return b.String(), nil
}

func (t *Turn) render(data TemplateData, conv, turn int) (string, []renderedTool, error) {
	text := t.Text
	if t.text != nil {
		var err error
		if text, err = execTemplate(t.text, data); err != nil {
			return "", nil, err
		}
	}
	tools := make([]renderedTool, len(t.Tools))
	for i, tc := range t.Tools {
		v, err := renderValue(tc.compiled, data)
		if err != nil {
			return "", nil, fmt.Errorf("tool %d (%s): %w", i, tc.Name, err)
		}
		in, err := json.Marshal(v)
		if err != nil {
			return "", nil, fmt.Errorf("tool %d (%s): encode input: %w", i, tc.Name, err)
		}
		tools[i] = renderedTool{id: toolUseID(conv, turn, i), name: tc.Name, input: in}
	}
	return text, tools, nil
}

func (t *Turn) renderHeaders(data TemplateData) (map[string]string, error) {
	if len(t.Headers) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(t.Headers))
	for k, v := range t.Headers {
		if tpl := t.headers[k]; tpl != nil {
			var err error
			if v, err = execTemplate(tpl, data); err != nil {
				return nil, err
			}
		}
		out[k] = v
	}
	return out, nil
}

func renderValue(v any, data TemplateData) (any, error) {
	switch v := v.(type) {
	case *template.Template:
		return execTemplate(v, data)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			r, err := renderValue(x, data)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			r, err := renderValue(x, data)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

package scriptedmodel

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseScenario: any input gives a scenario the server can play or an
// error, never a panic.
func FuzzParseScenario(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/scenarios/*.yaml")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"sessions": [{"turns": [{"text": "a\/b", "tools": [{"name": "Bash", "input": {"command": "{{.Cwd}}"}}]}]}]}`))
	f.Add([]byte("sessions:\n  - turns:\n      - text: \"{{.Env \\\"HOME\\\"}}\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseScenario(data)
		if err != nil {
			return
		}
		if !sc.ready || len(sc.Sessions) == 0 || sc.Fallback == "" {
			t.Fatalf("accepted an unusable scenario: %+v", sc)
		}
		for _, s := range sc.Sessions {
			if len(s.Turns) == 0 {
				t.Fatalf("accepted session %q without turns", s.Name)
			}
			for _, turn := range s.Turns {
				if turn.Text == "" && len(turn.Tools) == 0 {
					t.Fatalf("accepted an empty turn in %q", s.Name)
				}
				// Rendering may fail (a template can call Env wrongly) but
				// must not panic.
				_, _, _ = turn.render(TemplateData{Cwd: "/r", Session: 1}, 1, 0)
			}
		}
	})
}

// FuzzMessagesRequest: whatever body arrives, the server answers with a
// status the API uses and records the request, never panics.
func FuzzMessagesRequest(f *testing.F) {
	for _, name := range []string{"cli-2.1.331-turn0.json", "cli-2.1.331-turn1.json"} {
		if data, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"stream": false, "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"type": "tool_use", "id": "x", "name": "Read"}]}, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "x", "content": [{"type": "image"}]}]}]}`))
	f.Add([]byte(`{"messages": [{"role": "user", "content": 5}]}`))
	f.Add([]byte(`{"messages": []}`))
	sc, err := ParseScenario([]byte(`
sessions:
  - repeat: true
    turns:
      - {text: "one", tools: [{name: Read, input: {file_path: "{{.Cwd}}/x"}}], expect: [{tool: 0, contains: "x"}]}
      - {text: "two", fail: {status: 429, times: 1}}
      - {text: "three"}
`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// A fresh server per input: no listener needed, ServeHTTP is called directly.
		s := &Server{}
		s.reset(sc)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/messages", bytes.NewReader(body)))
		switch w.Code {
		case 200, 400, 429:
		default:
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if len(s.Requests()) != 1 {
			t.Fatalf("%d requests recorded, want 1", len(s.Requests()))
		}
	})
}

package workflow

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// sharedMemory lists the places where a and b point at the same memory.
func sharedMemory(a, b reflect.Value, path string) []string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return nil
		}
		if a.Pointer() == b.Pointer() {
			return []string{path}
		}
		return sharedMemory(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() == 0 || b.Len() == 0 {
			return nil
		}
		if a.Pointer() == b.Pointer() {
			return []string{path}
		}
		var out []string
		for i := range min(a.Len(), b.Len()) {
			out = append(out, sharedMemory(a.Index(i), b.Index(i), path+"[]")...)
		}
		return out
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			return []string{path}
		}
	case reflect.Struct:
		var out []string
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				out = append(out, sharedMemory(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)...)
			}
		}
		return out
	}
	return nil
}

func TestCloneSharesNothing(t *testing.T) {
	t.Parallel()
	w := fullWorkflow("w1")
	if shared := sharedMemory(reflect.ValueOf(w), reflect.ValueOf(w.clone()), "Workflow"); len(shared) > 0 {
		t.Errorf("clone shares %v with the original; callers changing one would change the cache", shared)
	}
	if !reflect.DeepEqual(w, w.clone()) {
		t.Error("clone differs from the original")
	}
}

func TestReadsNeverServeStaleOrSharedData(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	mustCreate(t, s, fullWorkflow("w1"))

	first, _ := s.List()
	first[0].Name = "changed by a caller"
	first[0].Sessions[0].CostUSD = 99
	first[0].Agent.PID = 1
	again, err := s.Get("w1")
	if err != nil {
		t.Fatal(err)
	}
	if again.Name == first[0].Name || again.Sessions[0].CostUSD == 99 || again.Agent.PID == 1 {
		t.Error("a caller's change to a returned workflow leaked into the next read")
	}

	// An edit in place that keeps the size, as a person with an editor might
	// make, right after a read: the next read sees it.
	path := s.Path("w1")
	data, _ := os.ReadFile(path)
	edited := strings.Replace(string(data), "model: claude-sonnet-4-5", "model: claude-sonnet-4-X", 1)
	if edited == string(data) || len(edited) != len(data) {
		t.Fatal("fixture: the edit did not apply")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.List(); got[0].Model != "claude-sonnet-4-X" {
		t.Errorf("List after an in-place edit: model %q", got[0].Model)
	}
	// An edit that breaks the file is reported, not hidden by the last good parse.
	if err := os.WriteFile(path, []byte("version: 1\nid: w1\nstatus: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, bad := s.List(); len(got) != 0 || len(bad) != 1 {
		t.Errorf("List after the file was broken: %d workflows, %d errors", len(got), len(bad))
	}
}

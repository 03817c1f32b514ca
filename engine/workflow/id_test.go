package workflow

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, want string }{
		{"Add dark mode", "add-dark-mode"},
		{"  --Fix:  the   LOGIN bug!!  ", "fix-the-login-bug"},
		{"v2.0 release", "v2-0-release"},
		{"already-a-slug", "already-a-slug"},
		{"", "workflow"},
		{"!!!", "workflow"},
		{"日本語", "workflow"},
		{"Café au lait", "caf-au-lait"},
		{"../../etc/passwd", "etc-passwd"},
		{strings.Repeat("a", 50), strings.Repeat("a", 40)},
		// The cut never leaves a trailing dash.
		{strings.Repeat("a", 39) + " b", strings.Repeat("a", 39)},
		{strings.Repeat("a", 38) + " bcd", strings.Repeat("a", 38) + "-b"},
	}
	for _, tt := range tests {
		if got := Slug(tt.name); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNewID(t *testing.T) {
	t.Parallel()
	form := regexp.MustCompile(`^add-dark-mode-[0-9a-z]{6}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewID("Add dark mode")
		if !form.MatchString(id) {
			t.Fatalf("NewID = %q, want add-dark-mode-XXXXXX", id)
		}
		if err := ValidateID(id); err != nil {
			t.Fatalf("NewID made an id ValidateID refuses: %v", err)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q within 1000 calls", id)
		}
		seen[id] = true
	}
	if err := ValidateID(NewID(strings.Repeat("x", 200))); err != nil {
		t.Errorf("id from a long name: %v", err)
	}
}

func TestValidateID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id string
		ok bool
	}{
		{"add-dark-mode-a1b2c3", true},
		{"a", true},
		{"0", true},
		{"a-", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"../x", false},
		{"..", false},
		{"a/b", false},
		{`a\b`, false},
		{"A", false},
		{"-x", false},
		{"a_b", false},
		{"a.yaml", false},
		{"a b", false},
		{"café", false},
		{"é", false},
		{"a\x00", false},
		{"a\n", false},
	}
	for _, tt := range tests {
		err := ValidateID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
			continue
		}
		if err != nil && (!strings.Contains(err.Error(), "a-z, 0-9") || !strings.Contains(err.Error(), "63")) {
			t.Errorf("ValidateID(%q) error %q does not state the rule", tt.id, err)
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.id)) {
			t.Errorf("ValidateID(%q) error %q does not name the id", tt.id, err)
		}
	}
}

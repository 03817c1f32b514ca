package protocol

import (
	"slices"
	"strings"
	"testing"
)

func TestCommandListIsWellFormed(t *testing.T) {
	ids := map[string]bool{}
	subs := map[string]string{}
	titles := map[string]bool{}
	for _, c := range Commands() {
		if !strings.HasPrefix(c.ID, "autonomous.") {
			t.Errorf("%s: ids live in the autonomous. namespace", c.ID)
		}
		if ids[c.ID] {
			t.Errorf("%s is listed twice", c.ID)
		}
		ids[c.ID] = true
		if c.Title == "" || c.Summary == "" {
			t.Errorf("%s needs a title and a summary for the palette and help texts", c.ID)
		}
		if titles[c.Title] {
			t.Errorf("title %q is used twice: the palette could not tell them apart", c.Title)
		}
		titles[c.Title] = true
		if c.Subcommand != "" {
			if other, dup := subs[c.Subcommand]; dup {
				t.Errorf("subcommand %q runs both %s and %s", c.Subcommand, other, c.ID)
			}
			subs[c.Subcommand] = c.ID
		}
		if got, ok := Lookup(c.ID); !ok || got != c {
			t.Errorf("Lookup(%s) = %+v, %v", c.ID, got, ok)
		}
	}
	var want []string
	for _, c := range Commands() {
		want = append(want, c.ID)
	}
	if got := CommandIDs(); !slices.Equal(got, want) {
		t.Errorf("CommandIDs() = %v, out of step with Commands() %v", got, want)
	}
	if _, ok := Lookup("autonomous.nope"); ok {
		t.Error("Lookup found a command that does not exist")
	}
}

// The editors' palette titles (issue 6) and Neovim subcommands must each map
// to one command; a rename here must be a rename there.
func TestEditorsFindTheirCommands(t *testing.T) {
	palette := []string{"New Workflow", "Start", "Pause", "Resume", "Stop", "Delete", "Validate Schema", "Edit Spec", "Import Spec…", "Show Log", "Select Model", "Install Runtime", "Doctor"}
	subcommands := []string{"new", "list", "start", "pause", "resume", "stop", "delete", "validate", "spec", "import", "log", "model", "doctor", "status"}
	byTitle, bySub := map[string]bool{}, map[string]bool{}
	for _, c := range Commands() {
		byTitle[c.Title] = true
		if c.Subcommand != "" {
			bySub[c.Subcommand] = true
		}
	}
	for _, title := range palette {
		if !byTitle[title] {
			t.Errorf("no command has the palette title %q", title)
		}
	}
	for _, sub := range subcommands {
		if !bySub[sub] {
			t.Errorf("no command runs :Autonomous %s", sub)
		}
	}
	if len(bySub) != len(subcommands) {
		t.Errorf("the commands name %d subcommands, the Neovim plugin has %d: %v", len(bySub), len(subcommands), bySub)
	}
}

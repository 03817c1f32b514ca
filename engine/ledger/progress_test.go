package ledger

import (
	"reflect"
	"testing"
)

func TestCompute(t *testing.T) {
	t.Parallel()
	valid, err := Parse(fixture(t, "valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	feat := func(cat string, passes bool) Feature {
		return Feature{Category: cat, Description: cat + " feature", Passes: passes}
	}
	tests := []struct {
		name     string
		features []Feature
		want     Progress
	}{
		{"empty ledger", nil, Progress{Categories: []CategoryProgress{}, CurrentIndex: -1}},
		{"realistic ledger", valid, Progress{
			Total: 7, Passing: 3, Percent: 42.9,
			Categories: []CategoryProgress{
				{Name: "functional", Total: 3, Passing: 2},
				{Name: "api", Total: 2},
				{Name: "style", Total: 1},
				{Name: "regression", Total: 1, Passing: 1},
			},
			CurrentFeature: "User can delete a todo item with the trash button", CurrentIndex: 2,
		}},
		{"all passing", []Feature{feat("a", true), feat("b", true)}, Progress{
			Total: 2, Passing: 2, Percent: 100,
			Categories:   []CategoryProgress{{Name: "a", Total: 1, Passing: 1}, {Name: "b", Total: 1, Passing: 1}},
			CurrentIndex: -1,
		}},
		{"one third rounds down", []Feature{feat("a", true), feat("a", false), feat("a", false)}, Progress{
			Total: 3, Passing: 1, Percent: 33.3,
			Categories:     []CategoryProgress{{Name: "a", Total: 3, Passing: 1}},
			CurrentFeature: "a feature", CurrentIndex: 1,
		}},
		{"two thirds rounds up", []Feature{feat("a", true), feat("a", true), feat("a", false)}, Progress{
			Total: 3, Passing: 2, Percent: 66.7,
			Categories:     []CategoryProgress{{Name: "a", Total: 3, Passing: 2}},
			CurrentFeature: "a feature", CurrentIndex: 2,
		}},
		{"interleaved categories keep first-appearance order", []Feature{feat("b", false), feat("a", true), feat("b", true), feat("c", false), feat("a", false)}, Progress{
			Total: 5, Passing: 2, Percent: 40,
			Categories: []CategoryProgress{
				{Name: "b", Total: 2, Passing: 1},
				{Name: "a", Total: 2, Passing: 1},
				{Name: "c", Total: 1},
			},
			CurrentFeature: "b feature", CurrentIndex: 0,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Compute(tt.features)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Compute = %+v\nwant %+v", got, tt.want)
			}
			if !got.Equal(tt.want) {
				t.Error("Equal disagrees with DeepEqual")
			}
		})
	}
}

func TestProgressEqual(t *testing.T) {
	t.Parallel()
	base := Progress{Total: 2, Passing: 1, Percent: 50, CurrentIndex: 1, CurrentFeature: "x",
		Categories: []CategoryProgress{{Name: "a", Total: 2, Passing: 1}}}
	changes := map[string]func(p *Progress){
		"passing":          func(p *Progress) { p.Passing = 2 },
		"current feature":  func(p *Progress) { p.CurrentFeature = "y" },
		"current index":    func(p *Progress) { p.CurrentIndex = 0 },
		"category figures": func(p *Progress) { p.Categories = []CategoryProgress{{Name: "a", Total: 2, Passing: 2}} },
		"category name":    func(p *Progress) { p.Categories = []CategoryProgress{{Name: "b", Total: 2, Passing: 1}} },
		"category count":   func(p *Progress) { p.Categories = nil },
	}
	for name, change := range changes {
		q := base
		q.Categories = append([]CategoryProgress(nil), base.Categories...)
		change(&q)
		if base.Equal(q) {
			t.Errorf("a change of %s is not seen", name)
		}
	}
	if !(Progress{CurrentIndex: -1}).Equal(Progress{CurrentIndex: -1, Categories: []CategoryProgress{}}) {
		t.Error("nil and empty categories differ")
	}
}

package ledger

import "math"

// Compute returns the figures of a ledger: totals, percent passing rounded
// to one decimal, per-category figures in order of first appearance, and the
// first failing feature (the one the next coding session takes).
func Compute(features []Feature) Progress {
	p := Progress{Total: len(features), CurrentIndex: -1, Categories: []CategoryProgress{}}
	index := make(map[string]int)
	last := -1 // ledgers group categories, so the previous entry's is the likely one
	for i := range features {
		f := &features[i]
		if last < 0 || p.Categories[last].Name != f.Category {
			j, ok := index[f.Category]
			if !ok {
				j = len(p.Categories)
				index[f.Category] = j
				p.Categories = append(p.Categories, CategoryProgress{Name: f.Category})
			}
			last = j
		}
		c := &p.Categories[last]
		c.Total++
		if f.Passes {
			c.Passing++
			p.Passing++
		} else if p.CurrentIndex < 0 {
			p.CurrentIndex = i
			p.CurrentFeature = f.Description
		}
	}
	if p.Total > 0 {
		p.Percent = math.Round(float64(p.Passing)*1000/float64(p.Total)) / 10
	}
	return p
}

// Equal reports whether two sets of figures are the same, which is when a
// watcher has nothing new to announce.
func (p Progress) Equal(q Progress) bool {
	if p.Total != q.Total || p.Passing != q.Passing || p.Percent != q.Percent ||
		p.CurrentFeature != q.CurrentFeature || p.CurrentIndex != q.CurrentIndex ||
		len(p.Categories) != len(q.Categories) {
		return false
	}
	for i := range p.Categories {
		if p.Categories[i] != q.Categories[i] {
			return false
		}
	}
	return true
}

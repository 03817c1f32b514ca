package ledger

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"sort"
)

// The guard enforces the ledger's rule after each session: an accepted entry
// is never removed, moved or reworded; only its passes may change; new
// entries may be appended at the end.
//
// An entry's identity is its category, description and steps (extra fields
// and passes are not part of it). Check matches every accepted entry with a
// proposed entry of the same identity (the k-th copy of an identity with the
// k-th copy, so duplicates keep their order); the largest set of matches that
// keeps the accepted order stands, and the other matched entries were moved.
// An accepted entry left without a match was either rewritten — when a
// proposed entry left over shares its description or its steps, preferring
// one in the same place — or removed. A proposed entry left over that is
// neither a match nor a rewrite is new: appended when it comes after every
// entry that stands for an accepted one, inserted (a violation) otherwise.

// Violation kinds.
const (
	Removed   = "removed"   // an accepted entry is gone
	Reordered = "reordered" // an accepted entry is at another place in the order
	Changed   = "changed"   // an accepted entry's category, description or steps were rewritten
	Inserted  = "inserted"  // a new entry was put among the accepted ones instead of after them
)

// Violation is one break of the ledger's rule.
type Violation struct {
	Kind string `json:"kind"`
	// Index is the 0-based index of the entry in the accepted ledger; -1 for
	// an inserted entry, which has none.
	Index int `json:"index"`
	// ProposedIndex is the 0-based index of the entry in the proposed
	// ledger, so a diagnostic can point at it; -1 for a removed entry.
	ProposedIndex int `json:"proposedIndex"`
	// Field is the field that was rewritten (category, description or
	// steps) for a changed entry, empty for the other kinds.
	Field string `json:"field,omitempty"`
	Msg   string `json:"message"`
}

// Flip is an accepted entry whose passes changed.
type Flip struct {
	Index       int    `json:"index"` // 0-based, in the accepted ledger
	Description string `json:"description"`
	From        bool   `json:"from"`
	To          bool   `json:"to"`
}

// Report is what Check found. The proposed ledger can be accepted as it is
// when Violations is empty.
type Report struct {
	Violations []Violation `json:"violations"`
	// Appended are the 0-based indexes, in the proposed ledger, of the new
	// entries added after the accepted ones.
	Appended []int `json:"appended"`
	// Flipped are the accepted entries whose passes changed, wherever they
	// now are, in accepted order.
	Flipped []Flip `json:"flipped"`
}

// Check compares a proposed ledger with the last accepted one.
func Check(accepted, proposed []Feature) Report {
	a := align(accepted, proposed)
	r := Report{Violations: []Violation{}, Appended: []int{}, Flipped: []Flip{}}
	lastKept := -1
	for i, j := range a.match {
		switch {
		case j >= 0:
			lastKept = max(lastKept, j)
			if accepted[i].Passes != proposed[j].Passes {
				r.Flipped = append(r.Flipped, Flip{Index: i, Description: accepted[i].Description, From: accepted[i].Passes, To: proposed[j].Passes})
			}
			if a.moved[i] {
				r.Violations = append(r.Violations, Violation{Kind: Reordered, Index: i, ProposedIndex: j,
					Msg: fmt.Sprintf("entry %d %s was moved to position %d; entries must keep their order", i+1, quoteShort(accepted[i].Description), j+1)})
			}
		case a.rewrite[i] >= 0:
			j := a.rewrite[i]
			lastKept = max(lastKept, j)
			r.Violations = append(r.Violations, changes(accepted, proposed, i, j)...)
			if a.moved[i] {
				r.Violations = append(r.Violations, Violation{Kind: Reordered, Index: i, ProposedIndex: j,
					Msg: fmt.Sprintf("entry %d %s was moved to position %d; entries must keep their order", i+1, quoteShort(accepted[i].Description), j+1)})
			}
		default:
			r.Violations = append(r.Violations, Violation{Kind: Removed, Index: i, ProposedIndex: -1,
				Msg: fmt.Sprintf("entry %d %s was removed; entries must never be removed", i+1, quoteShort(accepted[i].Description))})
		}
	}
	for j, owner := range a.owner {
		if owner >= 0 {
			continue
		}
		if j > lastKept {
			r.Appended = append(r.Appended, j)
			continue
		}
		r.Violations = append(r.Violations, Violation{Kind: Inserted, Index: -1, ProposedIndex: j,
			Msg: fmt.Sprintf("new entry %s was inserted at position %d among the accepted entries; new entries must be appended at the end", quoteShort(proposed[j].Description), j+1)})
	}
	sort.SliceStable(r.Violations, func(x, y int) bool {
		return r.Violations[x].position() < r.Violations[y].position()
	})
	return r
}

func (v Violation) position() int {
	if v.Index >= 0 {
		return v.Index
	}
	return v.ProposedIndex
}

// Repair returns the ledger to keep when Check found violations, such that
// the agent cannot delete or rewrite tests and legitimate passes flips are
// not lost:
//   - every accepted entry, in the accepted order, with its category,
//     description, steps and extra fields as accepted;
//   - its passes taken from the proposed entry with the same identity,
//     wherever the agent moved it; an entry that was rewritten or removed
//     keeps its accepted passes (a flip on a rewritten test proves nothing);
//   - then the proposed entries that are new (appended, or inserted in the
//     wrong place), in their proposed order. Rewritten versions of accepted
//     entries are dropped: the rewrite is what is being rejected.
//
// The result always passes Check against accepted with no violations. With
// no violations to repair it equals proposed, except that matched entries
// keep the accepted extra fields.
func Repair(accepted, proposed []Feature) []Feature {
	a := align(accepted, proposed)
	out := make([]Feature, 0, len(proposed))
	for i, j := range a.match {
		f := clone(accepted[i])
		if j >= 0 {
			f.Passes = proposed[j].Passes
		}
		out = append(out, f)
	}
	for j, owner := range a.owner {
		if owner < 0 {
			out = append(out, clone(proposed[j]))
		}
	}
	return out
}

func clone(f Feature) Feature {
	f.Steps = slices.Clone(f.Steps)
	if f.Extra != nil {
		f.Extra = maps.Clone(f.Extra)
	}
	return f
}

// changes returns one violation per rewritten field of accepted[i] as proposed[j].
func changes(accepted, proposed []Feature, i, j int) []Violation {
	was, now := &accepted[i], &proposed[j]
	var vs []Violation
	add := func(field, msg string) {
		vs = append(vs, Violation{Kind: Changed, Index: i, ProposedIndex: j, Field: field,
			Msg: fmt.Sprintf("entry %d %s: %s; only passes may change", i+1, quoteShort(was.Description), msg)})
	}
	if was.Category != now.Category {
		add("category", fmt.Sprintf("category changed from %s to %s", quoteShort(was.Category), quoteShort(now.Category)))
	}
	if was.Description != now.Description {
		add("description", fmt.Sprintf("description changed to %s", quoteShort(now.Description)))
	}
	if !slices.Equal(was.Steps, now.Steps) {
		add("steps", "steps changed")
	}
	return vs
}

type alignment struct {
	match   []int  // accepted index -> proposed index of the same identity, or -1
	rewrite []int  // accepted index -> proposed index that rewrote it, or -1
	moved   []bool // accepted index -> its match or rewrite is out of order
	owner   []int  // proposed index -> accepted index it matches or rewrites, or -1
}

func align(accepted, proposed []Feature) alignment {
	a := alignment{
		match:   make([]int, len(accepted)),
		rewrite: make([]int, len(accepted)),
		moved:   make([]bool, len(accepted)),
		owner:   make([]int, len(proposed)),
	}
	for i := range a.rewrite {
		a.rewrite[i] = -1
	}
	for j := range a.owner {
		a.owner[j] = -1
	}
	// The common case: the accepted entries untouched at the head.
	if len(proposed) >= len(accepted) {
		same := true
		for i := range accepted {
			if !sameIdentity(&accepted[i], &proposed[i]) {
				same = false
				break
			}
		}
		if same {
			for i := range accepted {
				a.match[i], a.owner[i] = i, i
			}
			return a
		}
	}

	// Entries are compared through hashes of their fields, so that a
	// 10,000-entry ledger costs no key strings; equal hashes are confirmed
	// field by field.
	hs := newHasher()
	ka := make([]key, len(accepted))
	for i := range accepted {
		ka[i] = hs.key(&accepted[i])
	}
	kp := make([]key, len(proposed))
	byKey := make(map[key][]int, len(proposed))
	for j := range proposed {
		kp[j] = hs.key(&proposed[j])
		byKey[kp[j]] = append(byKey[kp[j]], j)
	}
	for i := range accepted {
		a.match[i] = -1
		js := byKey[ka[i]]
		for p, j := range js {
			if sameIdentity(&accepted[i], &proposed[j]) {
				a.match[i], a.owner[j] = j, i
				byKey[ka[i]] = slices.Delete(js, p, p+1)
				break
			}
		}
	}

	// The matches that keep the accepted order stand (anchors); the others moved.
	var seq []int // accepted indexes with a match, in order
	for i, j := range a.match {
		if j >= 0 {
			seq = append(seq, i)
		}
	}
	anchor := longestIncreasing(seq, a.match, len(accepted))
	for _, i := range seq {
		a.moved[i] = !anchor[i]
	}

	// gapA[i] / gapP[j]: how many anchors come before an entry. A rewrite
	// in the same gap is in the same place.
	gapA := make([]int, len(accepted))
	isAnchorP := make([]bool, len(proposed))
	n := 0
	for i := range accepted {
		gapA[i] = n
		if anchor[i] {
			n++
			isAnchorP[a.match[i]] = true
		}
	}
	gapP := make([]int, len(proposed))
	n = 0
	for j := range proposed {
		gapP[j] = n
		if isAnchorP[j] {
			n++
		}
	}

	// Rewrites: pair each unmatched accepted entry with the best leftover
	// proposed entry that kept its description or its steps, preferring one
	// in the same place, then one that kept more. Candidates come from
	// queues keyed by what they kept, so the pairing stays linear even when
	// many entries share a description or steps.
	queues := make(map[queueKey][]int)
	keysOf := func(gap int, k key) [5]queueKey {
		return [5]queueKey{
			{kind: 'B', gap: gap, desc: k.desc, steps: k.steps}, // same place, same description and steps
			{kind: 'D', gap: gap, desc: k.desc},                 // same place, same description
			{kind: 'S', gap: gap, steps: k.steps},               // same place, same steps
			{kind: 'd', gap: -1, desc: k.desc},                  // anywhere, same description
			{kind: 's', gap: -1, steps: k.steps},                // anywhere, same steps
		}
	}
	for j := range proposed {
		if a.owner[j] < 0 {
			for _, k := range keysOf(gapP[j], kp[j]) {
				queues[k] = append(queues[k], j)
			}
		}
	}
	for i := range accepted {
		if a.match[i] >= 0 {
			continue
		}
		was := &accepted[i]
		best, bestScore := -1, 0
		for _, k := range keysOf(gapA[i], ka[i]) {
			q := queues[k]
			for len(q) > 0 && a.owner[q[0]] >= 0 {
				q = q[1:]
			}
			queues[k] = q
			if len(q) == 0 {
				continue
			}
			j := q[0]
			now := &proposed[j]
			if was.Description != now.Description && !slices.Equal(was.Steps, now.Steps) {
				continue // a hash collision, not a candidate
			}
			score := 0
			if gapA[i] == gapP[j] {
				score += 8
			}
			if was.Description == now.Description {
				score += 2
			}
			if slices.Equal(was.Steps, now.Steps) {
				score += 2
			}
			if was.Category == now.Category {
				score++
			}
			if score > bestScore || (score == bestScore && j < best) {
				best, bestScore = j, score
			}
		}
		if best >= 0 {
			a.rewrite[i], a.owner[best] = best, i
			a.moved[i] = gapA[i] != gapP[best]
		}
	}
	return a
}

// longestIncreasing marks the members of seq that form a longest run whose
// pos values increase (patience sorting, O(n log n)); n bounds seq's values.
func longestIncreasing(seq []int, pos []int, n int) []bool {
	tails := []int{}              // tails[k]: index into seq of the smallest tail of a run of length k+1
	prev := make([]int, len(seq)) // predecessor in the run, index into seq
	for x, i := range seq {
		v := pos[i]
		lo, hi := 0, len(tails)
		for lo < hi {
			mid := (lo + hi) / 2
			if pos[seq[tails[mid]]] < v {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo > 0 {
			prev[x] = tails[lo-1]
		} else {
			prev[x] = -1
		}
		if lo == len(tails) {
			tails = append(tails, x)
		} else {
			tails[lo] = x
		}
	}
	in := make([]bool, n)
	if len(tails) > 0 {
		for x := tails[len(tails)-1]; x >= 0; x = prev[x] {
			in[seq[x]] = true
		}
	}
	return in
}

func sameIdentity(x, y *Feature) bool {
	return x.Category == y.Category && x.Description == y.Description && slices.Equal(x.Steps, y.Steps)
}

// key holds hashes of the fields of an entry's identity.
type key struct{ category, desc, steps uint64 }

// queueKey files a leftover proposed entry by what it may share with an
// accepted one it rewrote; gap -1 means anywhere.
type queueKey struct {
	kind        byte
	gap         int
	desc, steps uint64
}

type hasher struct {
	seed maphash.Seed
	h    maphash.Hash
}

func newHasher() *hasher {
	hs := &hasher{seed: maphash.MakeSeed()}
	hs.h.SetSeed(hs.seed)
	return hs
}

func (hs *hasher) key(f *Feature) key {
	hs.h.Reset()
	var n [8]byte
	for _, s := range f.Steps {
		// Lengths first, so that ["ab"] and ["a", "b"] differ.
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		hs.h.Write(n[:])
		hs.h.WriteString(s)
	}
	return key{
		category: maphash.String(hs.seed, f.Category),
		desc:     maphash.String(hs.seed, f.Description),
		steps:    hs.h.Sum64() ^ uint64(len(f.Steps)),
	}
}

package policy

import (
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// arg is one argument of a command as the policy sees it before the shell
// runs: its literal value when the shell would pass it unchanged, or the
// reason it cannot be known.
type arg struct {
	lit    string // the value, when ok
	ok     bool   // fully known: no variables, substitutions, ...
	why    string // when !ok: what makes it unknown, as written ("$f")
	prefix string // the literal text before the first unknown part
	split  bool   // has an unquoted expansion: it may split into several words
	glob   bool   // contains unquoted * ? [ : the shell expands it as a pattern
	pat    string // when glob: the value as a Go filepath.Match pattern
	// under, when set, stands for "some path under each of these
	// directories" (find's {}), or for the directories themselves when
	// self is set.
	under []string
	self  bool
}

// unknownArg stands for arguments the policy cannot see at all (xargs input).
func unknownArg(why string) arg { return arg{why: why} }

func litArg(s string) arg { return arg{lit: s, ok: true, prefix: s} }

// maxBraceWords bounds brace expansion: a longer list is judged unknown.
const maxBraceWords = 64

// words evaluates the words of a command line into arguments, expanding
// braces as bash would.
func (ck *checker) words(ws []*syntax.Word) []arg {
	var out []arg
	for _, w := range ws {
		out = append(out, ck.wordArgs(w)...)
	}
	return out
}

func (ck *checker) wordArgs(w *syntax.Word) []arg {
	cp := &syntax.Word{Parts: append([]syntax.WordPart(nil), w.Parts...)}
	if !syntax.SplitBraces(cp) {
		return []arg{ck.word(w)}
	}
	var out []arg
	for ew, err := range expand.BracesSeq(nil, cp) {
		if err != nil || len(out) >= maxBraceWords {
			return []arg{{why: "a brace expansion too large to check"}}
		}
		out = append(out, ck.word(ew))
	}
	return out
}

// word evaluates one word (after brace expansion).
func (ck *checker) word(w *syntax.Word) arg {
	var val, pat strings.Builder
	a := arg{ok: true}
	unknown := func(why string) {
		if a.ok {
			a.ok = false
			a.why = why
			a.prefix = val.String()
		}
	}
	for i, part := range w.Parts {
		switch x := part.(type) {
		case *syntax.Lit:
			s := x.Value
			if i == 0 && strings.HasPrefix(s, "~") {
				if seg := firstField(s); seg != "~" || ck.p.home == "" {
					unknown(seg)
					continue
				}
				val.WriteString(ck.p.home)
				pat.WriteString(globQuote(ck.p.home))
				s = s[1:]
			}
			for j := 0; j < len(s); j++ {
				c := s[j]
				switch {
				case c == '\\' && j+1 < len(s):
					j++
					if s[j] == '\n' {
						continue
					}
					val.WriteByte(s[j])
					pat.WriteString(globQuote(s[j : j+1]))
				case c == '*' || c == '?' || c == '[':
					a.glob = true
					val.WriteByte(c)
					pat.WriteByte(c)
					if c == '[' && j+1 < len(s) && s[j+1] == '!' {
						pat.WriteByte('^')
						val.WriteByte('!')
						j++
					}
				default:
					val.WriteByte(c)
					pat.WriteString(globQuote(s[j : j+1]))
				}
			}
		case *syntax.SglQuoted:
			if x.Dollar && strings.Contains(x.Value, `\`) {
				unknown("$'...'")
				continue
			}
			val.WriteString(x.Value)
			pat.WriteString(globQuote(x.Value))
		case *syntax.DblQuoted:
			for _, dp := range x.Parts {
				switch y := dp.(type) {
				case *syntax.Lit:
					s := unescapeDouble(y.Value)
					val.WriteString(s)
					pat.WriteString(globQuote(s))
				case *syntax.ParamExp:
					if v, ok := ck.loopVar(y); ok {
						// A loop over a pattern gives one matching path at a
						// time: judged like the pattern itself.
						val.WriteString(v.lit)
						if v.glob {
							a.glob = true
							pat.WriteString(v.pat)
						} else {
							pat.WriteString(globQuote(v.lit))
						}
					} else if v, ok := ck.param(y); ok {
						val.WriteString(v)
						pat.WriteString(globQuote(v))
					} else {
						unknown(paramText(y))
					}
				default:
					unknown(partText(dp))
				}
			}
		case *syntax.ParamExp:
			if v, ok := ck.loopVar(x); ok {
				val.WriteString(v.lit)
				if v.glob {
					a.glob = true
					pat.WriteString(v.pat)
				} else {
					pat.WriteString(globQuote(v.lit))
				}
			} else if v, ok := ck.param(x); ok {
				val.WriteString(v)
				pat.WriteString(globQuote(v))
			} else {
				unknown(paramText(x))
				a.split = true
			}
		default:
			unknown(partText(part))
			if _, ok := part.(*syntax.CmdSubst); ok {
				a.split = true
			}
		}
	}
	if a.ok {
		a.lit = val.String()
		a.prefix = a.lit
		if a.glob {
			a.pat = pat.String()
		}
	}
	return a
}

// loopVar returns the value of a for loop's variable while the policy
// checks the loop body once per value (for f in *.go; do gofmt -w $f; done).
func (ck *checker) loopVar(pe *syntax.ParamExp) (arg, bool) {
	if pe.Param == nil || !simpleParam(pe) {
		return arg{}, false
	}
	v, ok := ck.vars[pe.Param.Value]
	return v, ok
}

// param returns the value of the few parameters the policy knows for sure:
// $HOME (it resolves ~ the same way).
func (ck *checker) param(pe *syntax.ParamExp) (string, bool) {
	if pe.Param == nil || pe.Excl || pe.Length || pe.Index != nil || pe.Slice != nil || pe.Repl != nil || pe.Exp != nil || pe.Names != 0 {
		return "", false
	}
	if pe.Param.Value == "HOME" && ck.p.home != "" {
		return ck.p.home, true
	}
	return "", false
}

func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '$', '`', '"', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			case '\n':
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func globQuote(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func firstField(s string) string {
	if i := strings.IndexByte(s, '/'); i > 0 {
		return s[:i]
	}
	return s
}

// paramText renders a parameter expansion for a reason ("$f", "${x:-y}").
func paramText(pe *syntax.ParamExp) string { return partText(pe) }

func partText(n syntax.Node) string {
	var b strings.Builder
	if err := syntax.NewPrinter(syntax.Minify(true)).Print(&b, n); err != nil {
		return "an expansion"
	}
	s := b.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// nodeText renders any node compactly for a reason.
func nodeText(n syntax.Node) string {
	var b strings.Builder
	if err := syntax.NewPrinter(syntax.SingleLine(true)).Print(&b, n); err != nil {
		return ""
	}
	return strings.TrimSpace(b.String())
}

package policy

import (
	"fmt"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Bash evaluates the value of a variable used in arithmetic as an
// expression, and an array subscript in that value runs command
// substitutions: x='a[$(rm -rf ~)]'; echo $((x)) runs the rm. The same
// holds for [[ $x -eq 1 ]], ${s:$x}, ${a[$x]}, let, and names given to
// test -v, printf -v, read and unset. So arithmetic may only use numbers,
// and variables the command itself sets to numbers.

var (
	numberRe = regexp.MustCompile(`^(?:[0-9]+|0[xX][0-9a-fA-F]+|[0-9]+#[0-9a-zA-Z@_]+)$`)
	nameRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	seqRe    = regexp.MustCompile(`^\{-?[0-9]+\.\.-?[0-9]+(?:\.\.-?[0-9]+)?\}$`)
)

// specialNumbers are variables bash itself keeps numeric.
func specialNumber(name string) bool {
	switch name {
	case "#", "?", "$", "!", "RANDOM", "SECONDS", "LINENO", "EPOCHSECONDS", "BASHPID", "PPID", "UID", "EUID":
		return true
	}
	return false
}

// numericVars finds the variables that a script only ever sets to numbers
// (literals, arithmetic results, for loops over numbers).
func numericVars(f *syntax.File) map[string]bool {
	num, other := map[string]bool{}, map[string]bool{}
	mark := func(name string, numeric bool) {
		if numeric {
			num[name] = true
		} else {
			other[name] = true
		}
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.Assign:
			if x.Name == nil {
				return true
			}
			switch {
			case x.Array != nil:
				mark(x.Name.Value, false)
			case x.Value == nil:
			default:
				mark(x.Name.Value, numericWord(x.Value))
			}
		case *syntax.BinaryArithm:
			if isAssignOp(x.Op) {
				if w, ok := x.X.(*syntax.Word); ok {
					mark(w.Lit(), true)
				}
			}
		case *syntax.UnaryArithm:
			if x.Op == syntax.Inc || x.Op == syntax.Dec {
				if w, ok := x.X.(*syntax.Word); ok {
					mark(w.Lit(), true)
				}
			}
		case *syntax.WordIter:
			all := len(x.Items) > 0
			for _, w := range x.Items {
				l := w.Lit()
				if !numberRe.MatchString(l) && !seqRe.MatchString(l) {
					all = false
				}
			}
			mark(x.Name.Value, all)
		case *syntax.CallExpr:
			// Builtins that store input in the variables they are given.
			if len(x.Args) > 0 {
				switch x.Args[0].Lit() {
				case "read", "mapfile", "readarray", "printf", "getopts":
					for _, w := range x.Args[1:] {
						if l := w.Lit(); nameRe.MatchString(l) {
							mark(l, false)
						}
					}
				}
			}
		}
		return true
	})
	for n := range other {
		delete(num, n)
	}
	return num
}

func numericWord(w *syntax.Word) bool {
	if numberRe.MatchString(w.Lit()) {
		return true
	}
	if len(w.Parts) == 1 {
		_, ok := w.Parts[0].(*syntax.ArithmExp)
		return ok
	}
	return false
}

func isAssignOp(op syntax.BinAritOperator) bool {
	switch op {
	case syntax.Assgn, syntax.AddAssgn, syntax.SubAssgn, syntax.MulAssgn, syntax.QuoAssgn, syntax.RemAssgn,
		syntax.AndAssgn, syntax.OrAssgn, syntax.XorAssgn, syntax.ShlAssgn, syntax.ShrAssgn:
		return true
	}
	return false
}

// arith checks an arithmetic expression.
func (ck *checker) arith(e syntax.ArithmExpr, st dirs) *denial {
	var d *denial
	syntax.Walk(e, func(n syntax.Node) bool {
		if d != nil {
			return false
		}
		if w, ok := n.(*syntax.Word); ok {
			d = ck.arithOperand(w, st)
			return false
		}
		return true
	})
	return d
}

// arithOperand accepts a number, or a variable the command sets to numbers.
func (ck *checker) arithOperand(w *syntax.Word, st dirs) *denial {
	parts := w.Parts
	if len(parts) == 1 {
		if dq, ok := parts[0].(*syntax.DblQuoted); ok {
			parts = dq.Parts
		}
	}
	if len(parts) != 1 {
		return ck.arithDenial(ck.text(w))
	}
	switch x := parts[0].(type) {
	case *syntax.Lit:
		if numberRe.MatchString(x.Value) {
			return nil
		}
		if nameRe.MatchString(x.Value) && (ck.numeric[x.Value] || specialNumber(x.Value)) {
			return nil
		}
	case *syntax.ParamExp:
		if x.Length && x.Param != nil {
			if x.Index != nil && !wholeArray(x.Index) {
				return ck.arith(x.Index, st)
			}
			return nil
		}
		if x.Param != nil && simpleParam(x) && (ck.numeric[x.Param.Value] || specialNumber(x.Param.Value)) {
			return nil
		}
	case *syntax.ArithmExp:
		return ck.arith(x.X, st)
	}
	return ck.arithDenial(ck.text(w))
}

func simpleParam(pe *syntax.ParamExp) bool {
	return !pe.Excl && !pe.Length && pe.Index == nil && pe.Slice == nil && pe.Repl == nil && pe.Exp == nil && pe.Names == 0 && pe.NestedParam == nil
}

func (ck *checker) arithDenial(what string) *denial {
	if what == "" {
		what = "this expression"
	}
	return &denial{
		reason: fmt.Sprintf("arithmetic on %s is not allowed: bash evaluates such values as code; use literal numbers or variables set to numbers in this command (or [ ... -lt ... ], which does not)", what),
		cmd:    what,
	}
}

// testExpr checks a [[ ... ]] expression.
func (ck *checker) testExpr(e syntax.TestExpr, st dirs) *denial {
	switch x := e.(type) {
	case *syntax.BinaryTest:
		switch x.Op {
		case syntax.TsEql, syntax.TsNeq, syntax.TsLeq, syntax.TsGeq, syntax.TsLss, syntax.TsGtr:
			for _, side := range []syntax.TestExpr{x.X, x.Y} {
				w, ok := side.(*syntax.Word)
				if !ok {
					return ck.arithDenial(ck.text(side))
				}
				if d := ck.arithOperand(w, st); d != nil {
					return d
				}
			}
			return nil
		}
		if d := ck.testExpr(x.X, st); d != nil {
			return d
		}
		return ck.testExpr(x.Y, st)
	case *syntax.UnaryTest:
		if x.Op == syntax.TsVarSet || x.Op == syntax.TsRefVar {
			if w, ok := x.X.(*syntax.Word); !ok || !safeName(w.Lit()) {
				return &denial{reason: fmt.Sprintf("[[ -v %s ]] is not allowed: use a plain variable name", ck.text(x.X)), cmd: ck.text(x)}
			}
		}
		return ck.testExpr(x.X, st)
	case *syntax.ParenTest:
		return ck.testExpr(x.X, st)
	case *syntax.Word:
		return ck.node(x, st)
	}
	return nil
}

// safeName is a variable name without a subscript bash would evaluate.
func safeName(s string) bool {
	if i := strings.IndexByte(s, '['); i >= 0 {
		sub := s[i:]
		if strings.ContainsAny(sub, "$`") {
			return false
		}
		s = s[:i]
	}
	return nameRe.MatchString(s)
}

// decl checks export, local, declare, readonly and typeset.
func (ck *checker) decl(s *syntax.Stmt, dc *syntax.DeclClause, st dirs) *denial {
	text := ck.text(s)
	variant := dc.Variant.Value
	if variant == "nameref" {
		return &denial{reason: "nameref is not allowed", cmd: text}
	}
	for _, a := range dc.Args {
		if a.Naked && a.Name == nil {
			if a.Value == nil {
				continue
			}
			l := a.Value.Lit()
			if l == "" || !(strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+")) {
				return &denial{reason: fmt.Sprintf("%s %s is not allowed: write the variable names out", variant, nodeText(a.Value)), cmd: text}
			}
			for _, f := range l[1:] {
				if !strings.ContainsRune("xrgpaAlutfF", f) {
					return &denial{reason: fmt.Sprintf("%s %s is not allowed: the -%c flag makes bash evaluate values or names as code", variant, l, f), cmd: text}
				}
			}
			continue
		}
		if d := ck.assign(a, st, text); d != nil {
			return d
		}
	}
	return nil
}

// assign checks an assignment: the variables that make programs run other
// code cannot be set, and the value may not hide commands.
func (ck *checker) assign(a *syntax.Assign, st dirs, text string) *denial {
	if a.Name != nil && !a.Naked {
		if why := sensitiveVar(a.Name.Value); why != "" {
			if !(a.Name.Value == "PATH" && a.Value != nil && appendsPath(a.Value)) {
				return &denial{reason: fmt.Sprintf("setting %s is not allowed: %s", a.Name.Value, why), cmd: text}
			}
		}
	}
	if a.Index != nil && !quotedKey(a.Index) {
		if d := ck.arith(a.Index, st); d != nil {
			return d
		}
	}
	if a.Value != nil {
		if d := ck.node(a.Value, st); d != nil {
			return d
		}
	}
	if a.Array != nil {
		for _, el := range a.Array.Elems {
			if el.Index != nil && !quotedKey(el.Index) {
				if d := ck.arith(el.Index, st); d != nil {
					return d
				}
			}
			if el.Value != nil {
				if d := ck.node(el.Value, st); d != nil {
					return d
				}
			}
		}
	}
	return nil
}

// appendsPath accepts PATH=$PATH:dir, which cannot change what an existing
// command name runs.
func appendsPath(w *syntax.Word) bool {
	if len(w.Parts) == 0 {
		return false
	}
	first := w.Parts[0]
	if dq, ok := first.(*syntax.DblQuoted); ok && len(dq.Parts) > 0 {
		first = dq.Parts[0]
		if len(dq.Parts) < 2 {
			return false
		}
		if l, ok := dq.Parts[1].(*syntax.Lit); !ok || !strings.HasPrefix(l.Value, ":") {
			return false
		}
	} else if len(w.Parts) < 2 {
		return false
	} else if l, ok := w.Parts[1].(*syntax.Lit); !ok || !strings.HasPrefix(l.Value, ":") {
		return false
	}
	pe, ok := first.(*syntax.ParamExp)
	return ok && pe.Param != nil && pe.Param.Value == "PATH" && simpleParam(pe)
}

// sensitiveVar says why setting a variable is refused, or "".
func sensitiveVar(name string) string {
	switch name {
	case "PATH":
		return "it decides which program a command name runs; appending is fine (PATH=$PATH:dir)"
	case "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "NODE_OPTIONS", "PYTHONSTARTUP", "PERL5OPT", "RUBYOPT":
		return "it loads other code into programs"
	case "BASH_ENV", "ENV", "PROMPT_COMMAND", "PS4", "SHELLOPTS", "BASHOPTS", "IFS":
		return "it makes the shell run other code or split words differently"
	case "HOME", "CDPATH":
		return "the policy resolves ~ and cd with the real values"
	case "GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER", "GIT_EDITOR", "EDITOR", "VISUAL",
		"GIT_SEQUENCE_EDITOR", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_PROXY_COMMAND", "GIT_EXEC_PATH", "GIT_TEMPLATE_DIR",
		"GIT_CONFIG", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
		"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE":
		return "it makes git run other programs or work on another repository"
	case "GOFLAGS", "GOBIN", "CARGO_TARGET_DIR", "CARGO_HOME", "PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_USER":
		return "it makes a build tool write outside the worktree"
	}
	upper := strings.ToUpper(name)
	switch {
	case strings.HasPrefix(upper, "GIT_CONFIG_KEY_"), strings.HasPrefix(upper, "GIT_CONFIG_VALUE_"):
		return "it makes git run other programs or work on another repository"
	case strings.HasPrefix(upper, "NPM_CONFIG_"):
		return "it changes npm's configuration (for example to install globally)"
	case strings.HasPrefix(name, "BASH_FUNC_"):
		return "it defines shell functions for child shells"
	}
	return ""
}

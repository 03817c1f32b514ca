package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// dirs is where a command may run: the set of working directories it can
// be in after the literal cds before it (a cd that may fail leaves the old
// directory possible too), or unknown after a cd to a computed place.
type dirs struct {
	paths   []string
	unknown string // when set: what made the directory unknown ("cd $DIR")
}

// maxDirs bounds the set; a bigger one becomes unknown.
const maxDirs = 16

func dirsOf(p string) dirs { return dirs{paths: []string{p}} }

func unknownDir(why string) dirs { return dirs{unknown: why} }

func (d dirs) union(o dirs) dirs {
	if d.unknown != "" {
		return d
	}
	if o.unknown != "" {
		return o
	}
	out := dirs{paths: slices.Clone(d.paths)}
	for _, p := range o.paths {
		if !slices.Contains(out.paths, p) {
			out.paths = append(out.paths, p)
		}
	}
	if len(out.paths) > maxDirs {
		return unknownDir("too many cds")
	}
	return out
}

func (d dirs) equal(o dirs) bool {
	if d.unknown != "" || o.unknown != "" {
		return d.unknown != "" && o.unknown != ""
	}
	if len(d.paths) != len(o.paths) {
		return false
	}
	for _, p := range d.paths {
		if !slices.Contains(o.paths, p) {
			return false
		}
	}
	return true
}

// flow is what a statement leaves behind: the directories after it
// succeeded (what `&&` continues with) and after it ran at all.
type flow struct{ ok, any dirs }

func same(d dirs) flow { return flow{d, d} }

// checker walks one command tree. It lives for one Decide call.
type checker struct {
	p       *Policy
	depth   int
	src     string                  // the script being walked, for quoting sub-commands
	numeric map[string]bool         // variables the script sets only to numbers
	funcs   map[string]*syntax.Stmt // functions the command defines
	active  map[string]bool         // functions being checked (recursion)
	vars    map[string]arg          // for loop variables with known values
	venv    bool                    // a virtual environment of the worktree was activated
	steps   int                     // statements checked so far, against maxSteps
}

// maxSteps bounds the statements one decision checks (loop bodies are
// checked more than once): a command bigger than that is refused rather
// than holding up the agent.
const maxSteps = 5000

// call is one simple command about to run, after its wrappers are peeled.
type call struct {
	name  string // base name of the program ("git")
	path  string // the command word as written ("./node_modules/.bin/vitest")
	argv  []arg  // its arguments
	dirs  dirs   // where it runs
	text  string // the command as written, for the decision
	stdin stdinKind
	hdoc  *syntax.Word // the here-document or here-string on stdin
	// more says that arguments the policy cannot see follow argv (xargs).
	more bool
	next *dirs // set by cd: where the shell is afterwards
}

type stdinKind int

const (
	stdinInherited stdinKind = iota
	stdinPipe                // the output of another command
	stdinHeredoc             // a here-document or here-string written in the command
	stdinFile                // < file
)

// script parses src in the given dialect and checks it in st. It returns
// the directories afterwards, for eval, which runs in the current shell.
func (ck *checker) script(src string, lang syntax.LangVariant, st dirs) (dirs, *denial) {
	if ck.depth > maxDepth {
		return st, &denial{reason: "commands nested this deeply (bash -c inside eval inside ...) are not allowed", cmd: src}
	}
	f, err := syntax.NewParser(syntax.Variant(lang)).Parse(strings.NewReader(src), "")
	if err != nil {
		return st, &denial{reason: fmt.Sprintf("the command cannot be parsed as %s (%v); only plain shell commands are allowed", lang, err), cmd: src}
	}
	saveSrc, saveNum := ck.src, ck.numeric
	ck.src, ck.numeric = src, numericVars(f)
	ck.depth++
	defer func() { ck.src, ck.numeric = saveSrc, saveNum; ck.depth-- }()
	return ck.stmts(f.Stmts, st)
}

func (ck *checker) stmts(list []*syntax.Stmt, st dirs) (dirs, *denial) {
	for _, s := range list {
		f, d := ck.stmt(s, st, false)
		if d != nil {
			return st, d
		}
		st = f.any
	}
	return st, nil
}

// text returns the source of n, for decisions.
func (ck *checker) text(n syntax.Node) string {
	start, end := int(n.Pos().Offset()), int(n.End().Offset())
	if start < 0 || end > len(ck.src) || start >= end {
		return nodeText(n)
	}
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(ck.src[start:end]), ";"))
}

func (ck *checker) stmt(s *syntax.Stmt, st dirs, piped bool) (flow, *denial) {
	if ck.steps++; ck.steps > maxSteps {
		return same(st), &denial{reason: "the command is too complex to check; split it into smaller commands", cmd: ck.text(s)}
	}
	stdin, hdoc := stdinInherited, (*syntax.Word)(nil)
	if piped {
		stdin = stdinPipe
	}
	for _, r := range s.Redirs {
		if d := ck.redirect(s, r, st); d != nil {
			return same(st), d
		}
		switch r.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			stdin, hdoc = stdinHeredoc, r.Hdoc
		case syntax.WordHdoc:
			stdin, hdoc = stdinHeredoc, r.Word
		case syntax.RdrIn:
			stdin, hdoc = stdinFile, nil
		}
	}
	if s.Cmd == nil {
		return same(st), nil
	}
	f, d := ck.command(s, st, stdin, hdoc)
	if d != nil {
		return same(st), d
	}
	if s.Background {
		f = same(st)
	}
	if s.Negated {
		f = same(f.any)
	}
	return f, nil
}

// redirect checks a redirection: its words for hidden commands, and a
// target that is written for the places it may write to.
func (ck *checker) redirect(s *syntax.Stmt, r *syntax.Redirect, st dirs) *denial {
	if r.Word != nil {
		if d := ck.node(r.Word, st); d != nil {
			return d
		}
	}
	if r.Hdoc != nil {
		if d := ck.node(r.Hdoc, st); d != nil {
			return d
		}
	}
	write := false
	switch r.Op {
	case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.AppClob, syntax.RdrAll, syntax.AppAll,
		syntax.RdrAllClob, syntax.AppAllClob, syntax.RdrInOut:
		write = true
	case syntax.DplOut:
		// >&2 and >&- duplicate or close descriptors; >&file writes a file.
		lit := r.Word.Lit()
		write = !isFD(lit)
	}
	if !write {
		return nil
	}
	c := &call{name: "redirection", dirs: st, text: ck.text(s)}
	a := ck.wordArgs(r.Word)
	if len(a) != 1 {
		return ck.deny(c, "writes need a literal path: the redirection target %s expands to several words", ck.text(r.Word))
	}
	return ck.checkWrite(c, a[0], "redirection", writeFollow)
}

func isFD(s string) bool {
	s = strings.TrimSuffix(s, "-")
	if s == "" {
		return true // >&-
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (ck *checker) command(s *syntax.Stmt, st dirs, stdin stdinKind, hdoc *syntax.Word) (flow, *denial) {
	switch x := s.Cmd.(type) {
	case *syntax.CallExpr:
		return ck.callExpr(s, x, st, stdin, hdoc)
	case *syntax.BinaryCmd:
		switch x.Op {
		case syntax.AndStmt:
			fx, d := ck.stmt(x.X, st, stdin == stdinPipe)
			if d != nil {
				return fx, d
			}
			fy, d := ck.stmt(x.Y, fx.ok, false)
			return flow{ok: fy.ok, any: fx.any.union(fy.any)}, d
		case syntax.OrStmt:
			fx, d := ck.stmt(x.X, st, stdin == stdinPipe)
			if d != nil {
				return fx, d
			}
			fy, d := ck.stmt(x.Y, fx.any, false)
			return flow{ok: fx.ok.union(fy.ok), any: fx.any.union(fy.any)}, d
		default: // | and |&: each side runs in its own subshell
			if _, d := ck.stmt(x.X, st, stdin == stdinPipe); d != nil {
				return same(st), d
			}
			_, d := ck.stmt(x.Y, st, true)
			return same(st), d
		}
	case *syntax.Subshell:
		_, d := ck.stmts(x.Stmts, st)
		return same(st), d
	case *syntax.Block:
		r, d := ck.stmts(x.Stmts, st)
		return same(r), d
	case *syntax.IfClause:
		r, d := ck.ifClause(x, st)
		return same(r), d
	case *syntax.WhileClause:
		r, d := ck.loop(st, func(in dirs) (dirs, *denial) {
			c, d := ck.stmts(x.Cond, in)
			if d != nil {
				return c, d
			}
			b, d := ck.stmts(x.Do, c)
			return c.union(b), d
		})
		return same(r), d
	case *syntax.ForClause:
		switch l := x.Loop.(type) {
		case *syntax.WordIter:
			for _, w := range l.Items {
				if d := ck.node(w, st); d != nil {
					return same(st), d
				}
			}
		case *syntax.CStyleLoop:
			for _, e := range []syntax.ArithmExpr{l.Init, l.Cond, l.Post} {
				if e != nil {
					if d := ck.arith(e, st); d != nil {
						return same(st), d
					}
				}
			}
		}
		body := func(in dirs) (dirs, *denial) {
			b, d := ck.stmts(x.Do, in)
			return in.union(b), d
		}
		if wi, ok := x.Loop.(*syntax.WordIter); ok {
			if items, ok := ck.loopItems(wi, x.Do); ok {
				return ck.forEach(wi.Name.Value, items, st, body)
			}
		}
		r, d := ck.loop(st, body)
		return same(r), d
	case *syntax.CaseClause:
		if d := ck.node(x.Word, st); d != nil {
			return same(st), d
		}
		out := st
		for _, it := range x.Items {
			for _, p := range it.Patterns {
				if d := ck.node(p, st); d != nil {
					return same(st), d
				}
			}
			r, d := ck.stmts(it.Stmts, st)
			if d != nil {
				return same(st), d
			}
			out = out.union(r)
		}
		return same(out), nil
	case *syntax.FuncDecl:
		if x.Name == nil {
			return same(st), &denial{reason: "anonymous functions are not allowed", cmd: ck.text(s)}
		}
		ck.funcs[x.Name.Value] = x.Body
		// The body is checked where it is defined as well as where it is
		// called, so a function that is never called cannot hide anything.
		ck.active[x.Name.Value] = true
		_, d := ck.stmt(x.Body, st, false)
		delete(ck.active, x.Name.Value)
		return same(st), d
	case *syntax.ArithmCmd:
		return same(st), ck.arith(x.X, st)
	case *syntax.TestClause:
		return same(st), ck.testExpr(x.X, st)
	case *syntax.DeclClause:
		return same(st), ck.decl(s, x, st)
	case *syntax.LetClause:
		for _, e := range x.Exprs {
			if d := ck.arith(e, st); d != nil {
				return same(st), d
			}
		}
		return same(st), nil
	case *syntax.TimeClause:
		if x.Stmt == nil {
			return same(st), nil
		}
		return ck.stmt(x.Stmt, st, stdin == stdinPipe)
	default:
		return same(st), &denial{reason: fmt.Sprintf("this shell construct is not allowed: %s", ck.text(s)), cmd: ck.text(s)}
	}
}

func (ck *checker) ifClause(x *syntax.IfClause, st dirs) (dirs, *denial) {
	if len(x.Cond) == 0 && !x.ThenPos.IsValid() { // else
		return ck.stmts(x.Then, st)
	}
	c, d := ck.stmts(x.Cond, st)
	if d != nil {
		return st, d
	}
	t, d := ck.stmts(x.Then, c)
	if d != nil {
		return st, d
	}
	e := c
	if x.Else != nil {
		if e, d = ck.ifClause(x.Else, c); d != nil {
			return st, d
		}
	}
	return t.union(e), nil
}

// loop runs body twice; a body whose cds keep moving the directory leaves
// it unknown.
func (ck *checker) loop(st dirs, body func(dirs) (dirs, *denial)) (dirs, *denial) {
	first, d := body(st)
	if d != nil {
		return st, d
	}
	first = st.union(first)
	if first.equal(st) {
		return first, nil // no cd in the body: a second pass would see the same
	}
	second, d := body(first)
	if d != nil {
		return st, d
	}
	second = first.union(second)
	if !second.equal(first) {
		return unknownDir("a cd inside a loop"), nil
	}
	return second, nil
}

// maxLoopItems bounds how many values of a for loop are checked one by one.
const maxLoopItems = 8

// loopItems returns the values a for loop's variable takes, when they are
// all written out and the body does not change the variable.
func (ck *checker) loopItems(wi *syntax.WordIter, body []*syntax.Stmt) ([]arg, bool) {
	if !wi.InPos.IsValid() {
		return nil, false
	}
	items := ck.words(wi.Items)
	if len(items) == 0 || len(items) > maxLoopItems {
		return nil, false
	}
	for _, it := range items {
		if !it.ok {
			return nil, false
		}
	}
	name := wi.Name.Value
	changed := false
	for _, s := range body {
		syntax.Walk(s, func(n syntax.Node) bool {
			switch x := n.(type) {
			case *syntax.Assign:
				changed = changed || (x.Name != nil && x.Name.Value == name)
			case *syntax.WordIter:
				changed = changed || x.Name.Value == name
			case *syntax.CallExpr:
				for _, w := range x.Args {
					changed = changed || w.Lit() == name
				}
			}
			return !changed
		})
	}
	return items, !changed
}

// forEach checks a loop body once per value of its variable.
func (ck *checker) forEach(name string, items []arg, st dirs, body func(dirs) (dirs, *denial)) (flow, *denial) {
	if ck.vars == nil {
		ck.vars = map[string]arg{}
	}
	old, had := ck.vars[name]
	defer func() {
		if had {
			ck.vars[name] = old
		} else {
			delete(ck.vars, name)
		}
	}()
	out := st
	for _, it := range items {
		ck.vars[name] = it
		r, d := ck.loop(st, body)
		if d != nil {
			return same(st), d
		}
		out = out.union(r)
	}
	return same(out), nil
}

// node checks the words inside any node for hidden commands: command and
// process substitutions, arithmetic, and expansions that evaluate code.
func (ck *checker) node(n syntax.Node, st dirs) *denial {
	if n == nil {
		return nil
	}
	var d *denial
	syntax.Walk(n, func(n syntax.Node) bool {
		if d != nil {
			return false
		}
		switch x := n.(type) {
		case *syntax.CmdSubst:
			_, d = ck.stmts(x.Stmts, st)
			return false
		case *syntax.ProcSubst:
			_, d = ck.stmts(x.Stmts, st)
			return false
		case *syntax.ArithmExp:
			d = ck.arith(x.X, st)
			return false
		case *syntax.ParamExp:
			d = ck.paramExp(x, st)
			return false
		}
		return true
	})
	return d
}

// paramExp refuses the expansions that run code hidden in a variable's
// value and checks the words nested in the others.
func (ck *checker) paramExp(pe *syntax.ParamExp, st dirs) *denial {
	text := partText(pe)
	if pe.Excl && pe.Names == 0 && pe.Index == nil {
		return &denial{reason: fmt.Sprintf("indirect expansion %s is not allowed: bash evaluates a subscript in the named variable as code", text), cmd: text}
	}
	if pe.Exp != nil && pe.Exp.Op == syntax.OtherParamOps && pe.Exp.Word != nil && strings.Contains(pe.Exp.Word.Lit(), "P") {
		return &denial{reason: fmt.Sprintf("%s is not allowed: prompt expansion runs command substitutions in the value", text), cmd: text}
	}
	if pe.Index != nil && !wholeArray(pe.Index) && !quotedKey(pe.Index) {
		if d := ck.arith(pe.Index, st); d != nil {
			return d
		}
	}
	if pe.Slice != nil {
		for _, e := range []syntax.ArithmExpr{pe.Slice.Offset, pe.Slice.Length} {
			if e != nil {
				if d := ck.arith(e, st); d != nil {
					return d
				}
			}
		}
	}
	if pe.Repl != nil {
		if d := ck.node(pe.Repl.Orig, st); d != nil {
			return d
		}
		if d := ck.node(pe.Repl.With, st); d != nil {
			return d
		}
	}
	if pe.Exp != nil {
		if d := ck.node(pe.Exp.Word, st); d != nil {
			return d
		}
	}
	if pe.NestedParam != nil {
		return ck.node(pe.NestedParam, st)
	}
	return nil
}

func wholeArray(e syntax.ArithmExpr) bool {
	w, ok := e.(*syntax.Word)
	if !ok {
		return false
	}
	l := w.Lit()
	return l == "@" || l == "*"
}

// quotedKey reports an associative-array key written in quotes, which bash
// does not evaluate as arithmetic.
func quotedKey(e syntax.ArithmExpr) bool {
	w, ok := e.(*syntax.Word)
	if !ok || len(w.Parts) != 1 {
		return false
	}
	switch w.Parts[0].(type) {
	case *syntax.SglQuoted, *syntax.DblQuoted:
		return true
	}
	return false
}

// callExpr checks a simple command: its assignments, every word for hidden
// commands, and then the command itself.
func (ck *checker) callExpr(s *syntax.Stmt, ce *syntax.CallExpr, st dirs, stdin stdinKind, hdoc *syntax.Word) (flow, *denial) {
	text := ck.text(s)
	for _, a := range ce.Assigns {
		if d := ck.assign(a, st, text); d != nil {
			return same(st), d
		}
	}
	if len(ce.Args) == 0 {
		return same(st), nil
	}
	for _, w := range ce.Args {
		if d := ck.node(w, st); d != nil {
			return same(st), d
		}
	}
	all := ck.words(ce.Args)
	c := &call{argv: all, dirs: st, text: text, stdin: stdin, hdoc: hdoc}
	if d := ck.run(c); d != nil {
		return same(st), d
	}
	if c.next != nil {
		return flow{ok: *c.next, any: st.union(*c.next)}, nil
	}
	return same(st), nil
}

// run judges a command line whose first argument is the program. It is
// also how wrappers (env, xargs, find -exec, bash -c ...) hand on the
// command they run.
func (ck *checker) run(c *call) *denial {
	if len(c.argv) == 0 {
		return nil
	}
	first := c.argv[0]
	c.argv = c.argv[1:]
	switch {
	case first.under != nil:
		return ck.deny(c, "the command name must be written out: a found file is not allowed as a command")
	case !first.ok:
		return ck.deny(c, "the command name must be written out: %s is not allowed as a command name", first.why)
	case first.glob && first.lit != "[":
		return ck.deny(c, "the command name must be written out: the pattern %s is not allowed as a command name", first.lit)
	case first.lit == "":
		return ck.deny(c, "an empty command name is not allowed")
	}
	c.path = first.lit
	c.name = filepath.Base(first.lit)
	if !strings.Contains(c.path, "/") {
		if body, ok := ck.funcs[c.path]; ok {
			if ck.active[c.path] {
				return nil
			}
			ck.active[c.path] = true
			defer delete(ck.active, c.path)
			f, d := ck.stmt(body, c.dirs, c.stdin == stdinPipe)
			if d == nil && !f.any.equal(c.dirs) {
				c.next = &f.any
			}
			return d
		}
	}
	if d := ck.userDeny(c); d != nil {
		return d
	}
	if strings.Contains(c.path, "/") {
		return ck.pathCommand(c)
	}
	if c.name == "init.sh" {
		return ck.initScript(c, c.path)
	}
	return ck.named(c)
}

// named judges a command called by its name.
func (ck *checker) named(c *call) *denial {
	if check := builtinCheck(c.name); check != nil {
		return check(ck, c)
	}
	if ck.p.allow[c.name] {
		return nil
	}
	return ck.notAllowed(c)
}

func (ck *checker) notAllowed(c *call) *denial {
	return ck.refuse(c, c.name, "%q is not on the allowlist; ask for it to be added to security.allow in .autonomous/config.yaml", c.name)
}

// pathCommand judges a program called by its path: a script of the
// worktree named in security.allow, init.sh, or an allowed program that
// does not live where earlier commands could have planted it.
func (ck *checker) pathCommand(c *call) *denial {
	if c.name == "init.sh" {
		return ck.initScript(c, c.path)
	}
	if ck.allowedScript(c, c.path) {
		return nil
	}
	if builtinCheck(c.name) == nil && !ck.p.allow[c.name] {
		if ck.installedTool(c, c.path) {
			return ck.cwdWritable(c)
		}
		if ck.inside(c, c.path) {
			return ck.refuse(c, c.path, "running %s is not allowed: only init.sh and the scripts listed in security.allow in .autonomous/config.yaml may be run from the worktree", c.path)
		}
		return ck.notAllowed(c)
	}
	if ck.inTemp(c, c.path) {
		return ck.deny(c, "running %s is not allowed: programs outside the worktree may only run from the system's own directories", c.path)
	}
	return ck.named(c)
}

// installedTool reports a program the project installed into the
// worktree: node_modules/.bin/X, or the bin of a virtual environment (the
// same tools npx runs, or pip installed).
func (ck *checker) installedTool(c *call, path string) bool {
	if c.dirs.unknown != "" {
		return false
	}
	for _, d := range c.dirs.paths {
		abs := path
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(d, path)
		}
		real := resolvePath(filepath.Clean(abs), false)
		dir := filepath.Dir(real)
		if !within(ck.p.root, real) {
			return false
		}
		nodeBin := filepath.Base(dir) == ".bin" && filepath.Base(filepath.Dir(dir)) == "node_modules"
		_, err := os.Stat(filepath.Join(dir, "activate"))
		venvBin := filepath.Base(dir) == "bin" && err == nil
		if !nodeBin && !venvBin {
			return false
		}
	}
	return true
}

// allowedScript reports whether path is a script listed in security.allow.
func (ck *checker) allowedScript(c *call, path string) bool {
	if len(ck.p.allowScripts) == 0 || c.dirs.unknown != "" {
		return false
	}
	for _, d := range c.dirs.paths {
		abs := resolvePath(filepath.Join(d, path), true)
		if filepath.IsAbs(path) {
			abs = resolvePath(path, true)
		}
		rel, err := filepath.Rel(ck.p.root, abs)
		if err != nil || !ck.p.allowScripts[rel] {
			return false
		}
	}
	return true
}

// initScript allows the workflow's init.sh: ./init.sh or .autonomous/init.sh
// of this worktree.
func (ck *checker) initScript(c *call, path string) *denial {
	if !strings.Contains(path, "/") {
		return ck.deny(c, "run init.sh by its path: ./init.sh")
	}
	if c.dirs.unknown != "" {
		return ck.deny(c, "init.sh may only be run from the worktree, and the working directory is unknown after %s", c.dirs.unknown)
	}
	want := []string{filepath.Join(ck.p.root, "init.sh"), filepath.Join(ck.p.root, ".autonomous", "init.sh")}
	for _, d := range c.dirs.paths {
		abs := path
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(d, path)
		}
		if !slices.Contains(want, resolvePath(abs, true)) {
			return ck.deny(c, "only the worktree's own init.sh (./init.sh or .autonomous/init.sh) may be run, not %s", path)
		}
	}
	return nil
}

// sub runs argv as a command started by c (env, xargs, find -exec, ...).
func (ck *checker) sub(c *call, argv []arg, more bool) *denial {
	s := &call{argv: argv, dirs: c.dirs, text: c.text, stdin: c.stdin, hdoc: c.hdoc, more: more}
	if d := ck.run(s); d != nil {
		return d
	}
	c.next = s.next // builtin cd, command cd
	return nil
}

// deny builds a refusal of c.
func (ck *checker) deny(c *call, format string, args ...any) *denial {
	return &denial{reason: fmt.Sprintf(format, args...), cmd: c.text}
}

// refuse is a built-in refusal that security.allow can lift by naming key;
// it returns nil when the project lifted it.
func (ck *checker) refuse(c *call, key, format string, args ...any) *denial {
	if ck.p.lift[key] {
		return nil
	}
	return &denial{reason: fmt.Sprintf(format, args...), cmd: c.text, key: key}
}

// userDeny applies security.deny to c.
func (ck *checker) userDeny(c *call) *denial {
	for _, rule := range ck.p.deny {
		if rule[0] != c.name && rule[0] != c.path {
			continue
		}
		if len(rule) > 1 {
			sub := firstPositional(c)
			if sub == nil || !sub.ok || sub.lit != rule[1] {
				if sub != nil && !sub.ok {
					return ck.deny(c, "%q is denied by the security.deny rule %q, and this %s call's subcommand %s cannot be checked", strings.Join(rule, " "), strings.Join(rule, " "), c.name, sub.why)
				}
				continue
			}
			if !hasAll(c.argv, rule[2:]) {
				continue
			}
		}
		return ck.deny(c, "%q is denied by the security.deny rule %q in the configuration", strings.Join(rule, " "), strings.Join(rule, " "))
	}
	return nil
}

// firstPositional is the subcommand of c: its first argument that is not
// an option (for git, after the global options).
func firstPositional(c *call) *arg {
	argv := c.argv
	if c.name == "git" {
		argv = gitSubArgs(argv)
	}
	for i := range argv {
		if argv[i].ok && strings.HasPrefix(argv[i].lit, "-") {
			continue
		}
		return &argv[i]
	}
	return nil
}

func hasAll(argv []arg, words []string) bool {
	for _, w := range words {
		found := false
		for _, a := range argv {
			if a.ok && (a.lit == w || strings.HasPrefix(a.lit, w+"=")) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

package policy

import (
	"strings"
)

// checkSed allows stream edits, and in-place edits (-i) of files inside the
// worktree. Scripts with the commands that run programs (e, s///e) or write
// files (w, s///w) are refused.
func checkSed(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	var scripts, files []arg
	inPlace, follow, fromFile := false, false, false
	argv := c.argv
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !a.ok {
			if a.split {
				return ck.deny(c, "sed is given %s unquoted, which could split into options and files the policy cannot check; quote it or write it out", a.why)
			}
			files = append(files, a) // could still be -i: judged below
			continue
		}
		s := a.lit
		next := func() (arg, bool) {
			if i+1 < len(argv) {
				i++
				return argv[i], true
			}
			return arg{}, false
		}
		switch {
		case s == "--":
			files = append(files, argv[i+1:]...)
			i = len(argv)
		case strings.HasPrefix(s, "--"):
			name, val, hasVal := strings.Cut(s, "=")
			switch name {
			case "--in-place":
				inPlace = true
			case "--follow-symlinks":
				follow = true
			case "--expression":
				if hasVal {
					scripts = append(scripts, litArg(val))
				} else if v, ok := next(); ok {
					scripts = append(scripts, v)
				}
			case "--file":
				fromFile = true
			case "--line-length":
				if !hasVal {
					next()
				}
			}
		case strings.HasPrefix(s, "-") && len(s) > 1:
		cluster:
			for j := 1; j < len(s); j++ {
				switch s[j] {
				case 'i':
					inPlace = true
					break cluster // the rest is the backup suffix
				case 'e', 'f', 'l':
					v := litArg(s[j+1:])
					if j+1 == len(s) {
						var ok bool
						if v, ok = next(); !ok {
							break cluster
						}
					}
					switch s[j] {
					case 'e':
						scripts = append(scripts, v)
					case 'f':
						fromFile = true
					}
					break cluster
				}
			}
		default:
			files = append(files, a)
		}
	}
	if fromFile {
		return ck.deny(c, "sed -f is not allowed: the policy cannot check a script in a file; give it with -e")
	}
	if len(scripts) == 0 && len(files) > 0 {
		scripts, files = files[:1], files[1:]
	}
	for _, s := range scripts {
		if !s.ok {
			return ck.deny(c, "a sed script must be written out, not %s: it could hold commands that run programs or write files", s.why)
		}
		if problem := sedScriptProblem(s.lit); problem != "" {
			return ck.deny(c, "this sed script is not allowed: %s", problem)
		}
	}
	maybeInPlace := inPlace
	for _, f := range files {
		if !f.ok {
			maybeInPlace = true // "$opt" could be -i
		}
	}
	if !maybeInPlace {
		return nil
	}
	kind := writeRemove // sed -i replaces a symlink rather than writing through it
	if follow {
		kind = writeFollow
	}
	for _, f := range files {
		if !f.ok && !inPlace {
			continue
		}
		if d := ck.checkWrite(c, f, "sed -i", kind); d != nil {
			return d
		}
	}
	return nil
}

// sedScriptProblem reads a sed script and says what in it runs programs
// or writes files ("" when nothing does). Unknown commands count as
// problems.
func sedScriptProblem(s string) string {
	i := 0
	n := len(s)
	skipSpace := func() {
		for i < n && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	// delimited reads a part of s/// or y/// up to the unescaped delimiter.
	delimited := func(delim byte) bool {
		for i < n {
			switch s[i] {
			case '\\':
				i += 2
				continue
			case delim:
				i++
				return true
			case '\n':
				if delim != '\n' {
					return false
				}
			}
			i++
		}
		return false
	}
	toEOL := func() {
		for i < n && s[i] != '\n' {
			if s[i] == '\\' && i+1 < n {
				i++
			}
			i++
		}
	}
	address := func() bool {
		skipSpace()
		if i >= n {
			return true
		}
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			for i < n && (s[i] >= '0' && s[i] <= '9' || s[i] == '~') {
				i++
			}
		case c == '$':
			i++
		case c == '/':
			i++
			if !delimited('/') {
				return false
			}
			for i < n && (s[i] == 'I' || s[i] == 'M') {
				i++
			}
		case c == '\\' && i+1 < n:
			d := s[i+1]
			i += 2
			if !delimited(d) {
				return false
			}
			for i < n && (s[i] == 'I' || s[i] == 'M') {
				i++
			}
		}
		return true
	}
	for {
		for i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == ';') {
			i++
		}
		if i >= n {
			return ""
		}
		if s[i] == '#' {
			toEOL()
			continue
		}
		if !address() {
			return "an address is not terminated"
		}
		skipSpace()
		if i < n && s[i] == ',' {
			i++
			skipSpace()
			if i < n && (s[i] == '+' || s[i] == '~') {
				i++
			}
			if !address() {
				return "an address is not terminated"
			}
		}
		skipSpace()
		for i < n && s[i] == '!' {
			i++
			skipSpace()
		}
		if i >= n {
			return "a command is missing"
		}
		cmd := s[i]
		i++
		switch cmd {
		case '{', '}', '=', 'd', 'D', 'g', 'G', 'h', 'H', 'n', 'N', 'p', 'P', 'x', 'z', 'F':
		case 's', 'y':
			if i >= n || s[i] == '\n' || s[i] == '\\' {
				return "a substitution is malformed"
			}
			d := s[i]
			i++
			if !delimited(d) || !delimited(d) {
				return "a substitution is not terminated"
			}
			if cmd == 'y' {
				continue
			}
			for i < n && strings.IndexByte("gpiImM0123456789ew", s[i]) >= 0 {
				switch s[i] {
				case 'e':
					return "s///e runs the pattern space as a command"
				case 'w':
					return "s///w writes to a file; redirect sed's output instead"
				}
				i++
			}
		case 'a', 'i', 'c':
			toEOL()
		case 'r', 'R':
			toEOL()
		case 'w', 'W':
			return "the w command writes to a file; redirect sed's output instead"
		case 'e':
			return "the e command runs a program"
		case ':', 'b', 't', 'T':
			for i < n && s[i] != '\n' && s[i] != ';' {
				i++
			}
		case 'q', 'Q', 'l', 'L', 'v':
			skipSpace()
			for i < n && s[i] >= '0' && s[i] <= '9' {
				i++
			}
		default:
			return "the policy does not know the sed command " + string(cmd)
		}
	}
}

// checkAwk allows awk programs that only compute and print: system(),
// pipes, getline from commands and output redirection to files are refused.
func checkAwk(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	var program *arg
	argv := c.argv
	i := 0
	for ; i < len(argv) && program == nil; i++ {
		a := argv[i]
		if !a.ok {
			return ck.deny(c, "awk's options and program must be written out, not %s", a.why)
		}
		s := a.lit
		switch {
		case s == "--":
			if i+1 < len(argv) {
				p := argv[i+1]
				program = &p
				i++
			}
		case s == "-F" || s == "-v" || s == "--field-separator" || s == "--assign":
			i++
		case strings.HasPrefix(s, "-F") || strings.HasPrefix(s, "-v") || strings.HasPrefix(s, "--field-separator=") || strings.HasPrefix(s, "--assign="):
		case s == "-e" || s == "--source":
			if i+1 < len(argv) {
				p := argv[i+1]
				program = &p
				i++
			}
		case s == "-f" || strings.HasPrefix(s, "--file") || strings.HasPrefix(s, "-f"):
			return ck.deny(c, "awk -f is not allowed: the policy cannot check a program in a file; give it inline")
		case s == "-S" || s == "--sandbox" || s == "-b" || s == "-c" || s == "-P" || s == "-r" || s == "-M" ||
			s == "-n" || s == "-O" || s == "-L" || s == "--posix" || s == "--traditional" || s == "--re-interval" ||
			s == "--characters-as-bytes" || s == "--lint" || s == "--optimize" || s == "--bignum" || s == "--non-decimal-data":
		case strings.HasPrefix(s, "-") && len(s) > 1:
			return ck.deny(c, "awk %s is not allowed: it can load code or write files", s)
		default:
			p := a
			program = &p
		}
	}
	if program == nil {
		return nil
	}
	if !program.ok {
		return ck.deny(c, "an awk program must be written out, not %s", program.why)
	}
	if problem := awkProgramProblem(program.lit); problem != "" {
		return ck.deny(c, "this awk program is not allowed: %s", problem)
	}
	return nil
}

// awkProgramProblem scans an awk program for what runs programs or writes
// files ("" when nothing does).
func awkProgramProblem(p string) string {
	n := len(p)
	depth := 0
	printDepth := -1 // paren depth of the print statement being read
	prev := byte(0)  // last significant character, for telling / from a regex
	prevWord := ""
	for i := 0; i < n; i++ {
		c := p[i]
		switch {
		case c == ' ' || c == '\t':
			continue
		case c == '#':
			for i < n && p[i] != '\n' {
				i++
			}
			prev, prevWord = '\n', ""
			printDepth = -1
			continue
		case c == '"':
			i++
			for i < n && p[i] != '"' {
				if p[i] == '\\' {
					i++
				}
				i++
			}
			prev, prevWord = '"', ""
			continue
		case c == '/' && regexCanStart(prev, prevWord):
			i++
			for i < n && p[i] != '/' {
				if p[i] == '\\' {
					i++
				} else if p[i] == '[' {
					for i < n && p[i] != ']' {
						i++
					}
				}
				i++
			}
			prev, prevWord = '/', ""
			continue
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < n && (p[j] == '_' || p[j] >= 'a' && p[j] <= 'z' || p[j] >= 'A' && p[j] <= 'Z' || p[j] >= '0' && p[j] <= '9') {
				j++
			}
			word := p[i:j]
			switch word {
			case "system":
				return "system() runs a program"
			case "print", "printf":
				printDepth = depth
			}
			prev, prevWord = 'a', word
			i = j - 1
			continue
		case c == '@':
			return "@ directives load code"
		case c == '|':
			if i+1 < n && p[i+1] == '|' {
				i++
				prev, prevWord = '|', ""
				continue
			}
			return "a pipe (| or |&) runs a program"
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ';' || c == '\n' || c == '{' || c == '}':
			printDepth = -1
		case c == '>':
			if printDepth >= 0 && depth == printDepth {
				j := i + 1
				if j < n && p[j] == '>' {
					j++
				}
				for j < n && (p[j] == ' ' || p[j] == '\t') {
					j++
				}
				rest := p[j:]
				if strings.HasPrefix(rest, `"/dev/stderr"`) || strings.HasPrefix(rest, `"/dev/stdout"`) {
					break
				}
				return "print > file writes files; redirect awk's output instead"
			}
		}
		prev, prevWord = c, ""
	}
	return ""
}

func regexCanStart(prev byte, word string) bool {
	if word != "" {
		switch word {
		case "print", "printf", "return", "in", "case", "getline":
			return true
		}
		return false
	}
	switch prev {
	case 0, '(', ',', '{', '}', ';', '!', '~', '&', '|', '=', '+', '-', '*', '%', '<', '>', '?', ':', '[', '\n':
		return true
	}
	return false
}

package policy

import (
	"slices"
	"strings"
)

// opt is one option of a command line: "-o", "--output", with its value
// when it takes one.
type opt struct {
	name  string
	value *arg
}

// parsed is a command line split into options and operands.
type parsed struct {
	opts     []opt
	operands []arg
	// unsure are the unknown arguments ("$x") that could be options: bash
	// passes "-o/etc/x" as easily as a file name.
	unsure []arg
}

func (p parsed) has(names ...string) bool {
	for _, o := range p.opts {
		if slices.Contains(names, o.name) {
			return true
		}
	}
	return false
}

// values returns the values given to the named options.
func (p parsed) values(names ...string) []arg {
	var out []arg
	for _, o := range p.opts {
		if o.value != nil && slices.Contains(names, o.name) {
			out = append(out, *o.value)
		}
	}
	return out
}

// parseArgs splits argv the way getopt-style programs do. valueShort lists
// the short options that take a value ("o" for -o FILE or -oFILE),
// valueLong the long ones ("--output" for --output FILE or --output=FILE).
func parseArgs(argv []arg, valueShort string, valueLong ...string) parsed {
	var p parsed
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		take := func() *arg {
			if i+1 < len(argv) {
				i++
				v := argv[i]
				return &v
			}
			return nil
		}
		if a.under != nil {
			p.operands = append(p.operands, a)
			continue
		}
		if !a.ok {
			switch {
			case strings.HasPrefix(a.prefix, "--") && strings.Contains(a.prefix, "="):
				name := a.prefix[:strings.IndexByte(a.prefix, '=')]
				v := arg{why: a.why, prefix: a.prefix[len(name)+1:]}
				p.opts = append(p.opts, opt{name: name, value: &v})
			case len(a.prefix) >= 2 && a.prefix[0] == '-' && a.prefix[1] != '-':
				// -o$x: options up to the first that takes a value.
				for j := 1; j < len(a.prefix); j++ {
					name := "-" + a.prefix[j:j+1]
					if strings.IndexByte(valueShort, a.prefix[j]) >= 0 {
						v := arg{why: a.why, prefix: a.prefix[j+1:]}
						p.opts = append(p.opts, opt{name: name, value: &v})
						break
					}
					p.opts = append(p.opts, opt{name: name})
					if j == len(a.prefix)-1 {
						p.unsure = append(p.unsure, a)
					}
				}
			default:
				p.operands = append(p.operands, a)
				if a.prefix == "" || strings.HasPrefix(a.prefix, "-") {
					p.unsure = append(p.unsure, a)
				}
			}
			continue
		}
		s := a.lit
		switch {
		case s == "--":
			p.operands = append(p.operands, argv[i+1:]...)
			return p
		case strings.HasPrefix(s, "--"):
			name, val, hasVal := strings.Cut(s, "=")
			o := opt{name: name}
			if hasVal {
				v := litArg(val)
				o.value = &v
			} else if slices.Contains(valueLong, name) {
				o.value = take()
			}
			p.opts = append(p.opts, o)
		case strings.HasPrefix(s, "-") && len(s) > 1:
			for j := 1; j < len(s); j++ {
				name := "-" + s[j:j+1]
				if strings.IndexByte(valueShort, s[j]) >= 0 {
					o := opt{name: name}
					if j+1 < len(s) {
						v := litArg(s[j+1:])
						o.value = &v
					} else {
						o.value = take()
					}
					p.opts = append(p.opts, o)
					break
				}
				p.opts = append(p.opts, opt{name: name})
			}
		default:
			p.operands = append(p.operands, a)
		}
	}
	return p
}

// unsureDenial refuses an unknown argument that could be an option of a
// command whose options write or run things.
func (ck *checker) unsureDenial(c *call, p parsed) *denial {
	if len(p.unsure) == 0 {
		return nil
	}
	return ck.deny(c, "%s is given %s, which could turn into an option of %q that the policy cannot check; write the argument out", c.name, p.unsure[0].why, c.name)
}

// moreDenial refuses a command that writes when it gets arguments the
// policy cannot see (xargs).
func (ck *checker) moreDenial(c *call) *denial {
	if !c.more {
		return nil
	}
	return ck.deny(c, "%q gets arguments the policy cannot see (from xargs or find); list the paths in the command, or use find ... -delete for deletions", c.name)
}

package policy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// gitValueGlobals are git's global options that take a value.
var gitValueGlobals = []string{"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix", "--list-cmds", "--attr-source"}

// gitSubArgs returns git's arguments from the subcommand on.
func gitSubArgs(argv []arg) []arg {
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !a.ok || !strings.HasPrefix(a.lit, "-") {
			return argv[i:]
		}
		if slices.Contains(gitValueGlobals, a.lit) {
			i++
		}
	}
	return nil
}

// gitReadOnly are the subcommands that only read the repository; they may
// look at repositories outside the worktree.
func gitReadOnly(sub string) bool {
	switch sub {
	case "status", "log", "diff", "show", "rev-parse", "ls-files", "ls-tree", "cat-file", "blame", "annotate",
		"describe", "shortlog", "grep", "reflog", "version", "help", "check-ignore", "check-attr", "rev-list",
		"merge-base", "name-rev", "for-each-ref", "show-ref", "show-branch", "diff-tree", "diff-files",
		"diff-index", "whatchanged", "count-objects", "var", "cherry", "range-diff", "verify-commit", "verify-tag",
		"fsck", "ls-remote-local":
		return true
	}
	return false
}

// gitLocal are the subcommands that change only this repository.
func gitLocal(sub string) bool {
	switch sub {
	case "add", "rm", "mv", "restore", "reset", "commit", "merge", "cherry-pick", "revert", "tag", "notes", "stash",
		"rebase", "clean", "apply", "am", "gc", "prune", "repack", "update-index", "update-ref", "symbolic-ref",
		"mktree", "mktag", "hash-object", "write-tree", "read-tree", "commit-tree", "checkout-index", "mergetool-lite",
		"format-patch", "archive", "bundle", "init", "branch", "checkout", "remote", "config", "worktree", "bisect",
		"hook", "maintenance", "sparse-checkout", "rerere", "replace", "pack-refs", "unpack-objects", "submodule":
		return true
	}
	return false
}

// gitSafeConfig are the keys the agent may set with git config or -c:
// none of them makes git run a program or act outside the repository.
func gitSafeConfig(key string) bool {
	k := strings.ToLower(key)
	for _, p := range []string{"user.", "color.", "advice.", "log.", "status.", "column.", "i18n."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	switch k {
	case "init.defaultbranch", "core.quotepath", "core.autocrlf", "core.safecrlf", "core.filemode", "core.ignorecase",
		"core.eol", "core.whitespace", "commit.gpgsign", "tag.gpgsign", "merge.conflictstyle", "diff.renames",
		"diff.algorithm", "diff.colormoved", "diff.noprefix", "diff.mnemonicprefix", "pull.rebase", "pull.ff",
		"rebase.autosquash", "rebase.autostash", "rerere.enabled", "help.autocorrect", "gc.auto", "merge.ff",
		"commit.verbose", "format.pretty", "core.abbrev", "push.default", "fetch.prune", "branch.sort", "tag.sort":
		return true
	}
	return false
}

// gitMessageValues are the options whose (computed) value is only text.
var gitMessageValues = []string{"-m", "--message", "--author", "--date", "--format", "--pretty", "-n", "--max-count",
	"--grep", "--since", "--until", "--after", "--before", "-S", "-G", "--trailer", "--reason"}

func checkGit(ck *checker, c *call) *denial {
	if c.more {
		sub := gitSubArgs(c.argv)
		if len(sub) == 0 || !sub[0].ok || (sub[0].lit != "add" && sub[0].lit != "rm") {
			return ck.moreDenial(c)
		}
	}
	gc := *c
	argv := c.argv
	i := 0
	for ; i < len(argv); i++ {
		a := argv[i]
		if !a.ok {
			if strings.HasPrefix(a.prefix, "-") || a.prefix == "" {
				return ck.deny(c, "git's options and subcommand must be written out, not %s", a.why)
			}
			break
		}
		s := a.lit
		if !strings.HasPrefix(s, "-") {
			break
		}
		name, val, hasVal := strings.Cut(s, "=")
		value := func() (arg, bool) {
			if hasVal {
				return litArg(val), true
			}
			if i+1 < len(argv) {
				i++
				return argv[i], true
			}
			return arg{}, false
		}
		switch name {
		case "-C":
			v, ok := value()
			if !ok {
				return nil
			}
			if !v.ok {
				return ck.deny(c, "git -C needs a literal directory, not %s", v.why)
			}
			cd := &call{name: "cd", argv: []arg{v}, dirs: gc.dirs, text: c.text}
			checkCd(ck, cd)
			gc.dirs = *cd.next
		case "-c":
			v, ok := value()
			if !ok {
				return nil
			}
			if !v.ok {
				return ck.deny(c, "git -c needs a literal setting, not %s", v.why)
			}
			key, _, _ := strings.Cut(v.lit, "=")
			if !gitSafeConfig(key) {
				return ck.refuse(c, "git -c "+key, "git -c %s is not allowed: this setting can make git run other programs; the allowed ones are user.*, color.*, core.autocrlf and similar", key)
			}
		case "--git-dir", "--work-tree":
			v, ok := value()
			if !ok {
				return nil
			}
			if d := ck.checkWrite(c, v, "git "+name, writeFollow); d != nil {
				return d
			}
		case "--namespace", "--list-cmds", "--attr-source":
			value()
		case "--exec-path":
			if hasVal {
				return ck.deny(c, "git --exec-path=... is not allowed: it makes git run other programs")
			}
		case "--config-env", "--super-prefix":
			return ck.deny(c, "git %s is not allowed", name)
		case "--no-pager", "--paginate", "-p", "-P", "--bare", "--no-replace-objects", "--literal-pathspecs",
			"--glob-pathspecs", "--noglob-pathspecs", "--icase-pathspecs", "--no-optional-locks", "--no-advice",
			"--version", "--help", "-h", "--html-path", "--man-path", "--info-path", "--no-lazy-fetch":
		default:
			return ck.deny(c, "git %s is not allowed: the policy does not know this global option", name)
		}
	}
	if i >= len(argv) {
		return nil
	}
	if !argv[i].ok {
		return ck.deny(c, "git's subcommand must be written out, not %s", argv[i].why)
	}
	sub := argv[i].lit
	args := argv[i+1:]
	key := "git " + sub
	// Computed arguments are fine as messages; anywhere else they could be
	// options such as --output=/somewhere.
	for k, a := range args {
		if a.ok || (a.prefix != "" && !strings.HasPrefix(a.prefix, "-")) {
			continue
		}
		if name, _, ok := strings.Cut(a.prefix, "="); ok && slices.Contains(gitMessageValues, name) {
			continue
		}
		if k > 0 && args[k-1].ok && slices.Contains(gitMessageValues, args[k-1].lit) {
			continue
		}
		return ck.deny(c, "git %s is given %s, which could turn into an option the policy cannot check; write it out", sub, a.why)
	}
	positional := func() []arg {
		var out []arg
		for _, a := range args {
			if !(a.ok && strings.HasPrefix(a.lit, "-")) {
				out = append(out, a)
			}
		}
		return out
	}
	hasOpt := func(names ...string) bool {
		for _, a := range args {
			if !a.ok {
				continue
			}
			name, _, _ := strings.Cut(a.lit, "=")
			if slices.Contains(names, name) {
				return true
			}
			// -xyz clusters of one-letter options
			if len(a.lit) > 1 && a.lit[0] == '-' && a.lit[1] != '-' {
				for _, n := range names {
					if len(n) == 2 && n[0] == '-' && n[1] != '-' && strings.ContainsRune(a.lit[1:], rune(n[1])) {
						return true
					}
				}
			}
		}
		return false
	}
	// Options that write files wherever they point.
	for k, a := range args {
		if !a.ok {
			continue
		}
		name, val, hasVal := strings.Cut(a.lit, "=")
		isOut := name == "--output" || name == "--output-directory" ||
			(name == "-o" && (sub == "format-patch" || sub == "archive"))
		if !isOut {
			continue
		}
		target := litArg(val)
		if !hasVal {
			if k+1 >= len(args) {
				continue
			}
			target = args[k+1]
		}
		if d := ck.checkWrite(&gc, target, "git "+sub+" "+name, writeFollow); d != nil {
			return d
		}
	}
	switch sub {
	case "push":
		return ck.refuse(c, key, "\"git push\" is not allowed: the workflow works on a local branch; leave pushing to the user")
	case "fetch", "pull", "clone", "ls-remote":
		if d := ck.refuse(c, key, "\"git %s\" is not allowed: it reaches the network, and the workflow works on its local branch", sub); d != nil {
			return d
		}
	case "remote":
		if p := positional(); len(p) > 0 && p[0].ok && p[0].lit != "show" && p[0].lit != "get-url" && p[0].lit != "-v" {
			if d := ck.refuse(c, "git remote "+p[0].lit, "\"git remote %s\" is not allowed: remotes are the user's to change", p[0].lit); d != nil {
				return d
			}
		}
	case "config":
		if d := checkGitConfig(ck, c, args); d != nil {
			return d
		}
	case "filter-branch", "filter-repo", "replace":
		return ck.refuse(c, key, "\"git %s\" is not allowed: it rewrites history beyond the workflow's branch", sub)
	case "switch":
		return ck.refuse(c, key, "\"git switch\" is not allowed: the workflow's sessions stay on its branch")
	case "checkout":
		if hasOpt("-b", "-B", "--orphan", "--detach") {
			return ck.refuse(c, "git checkout -b", "\"git checkout -b\" is not allowed: the workflow's sessions stay on its branch")
		}
		if !slices.ContainsFunc(args, func(a arg) bool { return a.ok && a.lit == "--" }) {
			for _, p := range positional() {
				if !p.ok || !gitPathExists(&gc, p.lit) {
					return ck.refuse(c, key, "switching branches with \"git checkout\" is not allowed: the workflow's sessions stay on its branch; to restore files use git checkout -- <path>")
				}
			}
		}
	case "branch":
		if hasOpt("-d", "-D", "--delete", "-m", "-M", "--move", "-f", "--force", "-c", "-C", "--copy", "--edit-description") {
			return ck.refuse(c, "git branch -D", "deleting, renaming or forcing branches is not allowed: branches other than the workflow's are the user's")
		}
	case "worktree":
		if p := positional(); len(p) > 0 && p[0].ok && p[0].lit != "list" {
			return ck.refuse(c, "git worktree "+p[0].lit, "\"git worktree %s\" is not allowed: worktrees are managed by autonomous", p[0].lit)
		}
	case "submodule":
		if p := positional(); len(p) == 0 || !p[0].ok || (p[0].lit != "status" && p[0].lit != "summary") {
			return ck.refuse(c, key, "\"git submodule\" is not allowed: it reaches the network or runs commands in every submodule")
		}
	case "bisect":
		if p := positional(); len(p) > 0 && p[0].ok && p[0].lit == "run" {
			return ck.refuse(c, "git bisect run", "\"git bisect run\" is not allowed: run the bisect steps one by one")
		}
	case "rebase":
		if hasOpt("-x", "--exec") {
			return ck.refuse(c, "git rebase --exec", "\"git rebase --exec\" is not allowed: run the commands yourself")
		}
	case "grep":
		if hasOpt("-O", "--open-files-in-pager") {
			return ck.deny(c, "\"git grep -O\" is not allowed: it runs a pager program")
		}
	case "archive":
		if hasOpt("--remote", "--exec") {
			return ck.refuse(c, "git archive --remote", "\"git archive --remote\" is not allowed: it reaches the network")
		}
	case "bundle":
		if p := positional(); len(p) > 1 && p[0].ok && p[0].lit == "create" {
			if d := ck.checkWrite(&gc, p[1], "git bundle create", writeFollow); d != nil {
				return d
			}
		}
	case "init":
		if hasOpt("--template", "--separate-git-dir") {
			return ck.deny(c, "git init --template/--separate-git-dir is not allowed")
		}
		for _, p := range positional() {
			if d := ck.checkWrite(&gc, p, "git init", writeFollow); d != nil {
				return d
			}
		}
	case "difftool", "mergetool", "send-email", "request-pull", "daemon", "credential", "credential-store",
		"credential-cache", "instaweb", "imap-send", "svn", "p4", "archimport", "cvsimport", "cvsserver",
		"cvsexportcommit", "shell", "upload-pack", "receive-pack", "upload-archive", "http-fetch", "http-push",
		"fast-import", "fast-export", "web--browse":
		return ck.refuse(c, key, "\"git %s\" is not allowed: it runs other programs, reaches the network or handles credentials", sub)
	default:
		if !gitReadOnly(sub) && !gitLocal(sub) {
			return ck.refuse(c, key, "\"git %s\" is not a git command the policy knows; ask for it to be added to security.allow in .autonomous/config.yaml", sub)
		}
	}
	if gitReadOnly(sub) || sub == "remote" && len(positional()) == 0 {
		return nil
	}
	return ck.cwdWritable(&gc)
}

// checkGitConfig allows reading any setting and writing the safe ones to
// this repository's config.
func checkGitConfig(ck *checker, c *call, args []arg) *denial {
	var pos []string
	read := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !a.ok {
			return ck.deny(c, "git config needs literal arguments, not %s", a.why)
		}
		name, _, hasVal := strings.Cut(a.lit, "=")
		switch name {
		case "--global", "--system", "--file", "-f", "--blob":
			return ck.refuse(c, "git config "+name, "\"git config %s\" is not allowed: only this repository's settings may change", name)
		case "-e", "--edit":
			return ck.deny(c, "\"git config --edit\" is not allowed: it opens an editor")
		case "--get", "--get-all", "--get-regexp", "--get-urlmatch", "--list", "-l", "--get-color", "--get-colorbool":
			read = true
		case "--type", "--default", "--comment", "--value":
			if !hasVal {
				i++
			}
		default:
			if !strings.HasPrefix(a.lit, "-") {
				pos = append(pos, a.lit)
			}
		}
	}
	if len(pos) > 0 {
		switch pos[0] {
		case "get", "list":
			return nil
		case "set", "unset", "rename-section", "remove-section":
			pos = pos[1:]
		}
	}
	if read || len(pos) <= 1 {
		return nil
	}
	if !gitSafeConfig(pos[0]) {
		return ck.refuse(c, "git config "+pos[0], "\"git config %s\" is not allowed: this setting can make git run other programs; the allowed ones are user.*, color.*, core.autocrlf and similar", pos[0])
	}
	return nil
}

// gitPathExists reports whether p names an existing file from every
// directory git may run in ("git checkout file" restores it).
func gitPathExists(c *call, p string) bool {
	if p == "." || p == ":/" {
		return true
	}
	if c.dirs.unknown != "" {
		return false
	}
	for _, d := range c.dirs.paths {
		full := p
		if !filepath.IsAbs(p) {
			full = filepath.Join(d, p)
		}
		if _, err := os.Lstat(full); err != nil {
			return false
		}
	}
	return true
}

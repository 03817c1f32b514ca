// Package policy is the bash security policy: it decides, before the agent's
// shell runs a command, whether the command may run in the workflow's
// worktree. `autonomous hook pre-tool-use` applies it to every Bash call of
// the Claude Code CLI (see Hook).
//
// # How a command is judged
//
// The command is parsed with a real bash parser (mvdan.cc/sh/v3/syntax);
// anything that does not parse is denied. Every command in the tree is
// judged: pipelines, && || ; & lists, subshells, { } groups, if/for/while/
// case bodies, functions (where defined and where called), command
// substitutions $(..) and `..` anywhere (in words, assignments, redirection
// targets, here-documents), process substitutions, and arithmetic. Wrappers
// are peeled and the command they run is judged: bash/sh/zsh -c 'string'
// (parsed again), eval of a literal string, xargs CMD (with the arguments it
// adds unknown), find -exec/-execdir/-ok CMD, env, nice, nohup, timeout,
// time, command, builtin, exec, stdbuf, ionice, npx TOOL. A refusal anywhere
// denies the whole command; a security.deny rule always wins over
// security.allow.
//
// A command name must be written out: no $CMD, no substitution, no
// pattern. A program called by its path is judged by its base name
// (/usr/bin/git is git), unless it lives in a writable place outside the
// worktree (the temp dir), where an earlier command could have planted it;
// scripts of the worktree may run only as ./init.sh or .autonomous/init.sh,
// or when security.allow lists their path.
//
// Writes outside the worktree are refused, whether by redirection (>, >>,
// &>, >|, <>, >&file; fd duplications and /dev/null, /dev/stdout,
// /dev/stderr are fine) or through the path arguments of the allowed
// commands that write (cp, mv, rm, rmdir, mkdir, touch, ln, chmod, tee,
// sed -i, sort -o, find -delete, git -C/--output, go -o, formatters with
// --write, ...). Paths are resolved from the directory the command runs in:
// literal cds are followed (a cd that may fail keeps the old directory
// possible; a cd to a computed place makes relative writes unknown, hence
// refused), ~ and $HOME are expanded, and symlinks are resolved component
// by component, so a link that points out of the worktree does not let a
// write out. A write to a path that is not written out ($f, $(..)) is
// refused; patterns are checked against the directory they list and the
// files they match now. Besides the worktree, the system temp dir (/tmp,
// $TMPDIR) and security.writablePaths are writable. Deleting the worktree
// itself, a writable root such as /tmp, or writing into .git is refused.
// Build tools and package managers, which write into their working
// directory, must run inside a writable place.
//
// Bash evaluates variables used in arithmetic, and subscripts in their
// values run command substitutions (x='a[$(cmd)]'; echo $((x)) runs cmd).
// So arithmetic ($((..)), ((..)), let, [[ -eq ]], ${s:off}, ${a[i]}) may use
// only numbers and variables the command itself sets to numbers; [ ... -lt
// ... ] does not evaluate, and is the way out. ${!x} and ${x@P} are refused
// for the same reason, as are names with computed subscripts given to test
// -v, printf -v, read and unset, and declare -i/-n. Setting the variables
// that make programs run other code (PATH except appending, LD_PRELOAD,
// BASH_ENV, GIT_SSH_COMMAND, PAGER, EDITOR, NODE_OPTIONS, HOME, ...) is
// refused.
//
// # The allowlist
//
// From the reference harness: ls cat head tail wc grep cp mkdir chmod pwd
// npm node git ps lsof sleep pkill init.sh, with its extra checks (pkill
// only for dev servers, chmod only to make files executable, init.sh only
// as ./init.sh). Added, for brownfield work:
//
//   - Reading and navigating, which cannot write or run programs: cd pushd
//     popd, echo printf, true false test [, which type command -v, file
//     stat du df, find (with -delete and -exec checked), tree, sort uniq cut
//     tr diff cmp comm paste join nl column fold fmt rev tac seq, basename
//     dirname realpath readlink, date (not --set), jq, rg (not --pre), fd
//     (-x checked like xargs), od strings base64 md5sum sha*sum cksum,
//     whoami id uname pgrep yes expr, and the shell's own read set shopt
//     unset shift wait exit. sed is allowed without the e and w commands,
//     and with -i only on files of the worktree; awk without system(), pipes
//     and print > file (print > "/dev/stderr" is fine); both refuse scripts
//     in files (-f), which the policy cannot read.
//   - Changing files, inside the worktree: touch rm rmdir mv cp mkdir tee,
//     ln (the link and what it points to must both be inside), chmod with
//     modes that grant nothing to other users (+x, u+x, 755, 644; never 777,
//     o+w or setuid).
//   - Building and testing: go gofmt goimports make cargo rustc cc gcc clang
//     javac java mvn gradle ./gradlew ./mvnw; node npm npx pnpm yarn tsc
//     vitest jest mocha vite next eslint prettier playwright tsx ts-node;
//     python python3 pip pytest ruff black mypy. They run the project's own
//     code, which the policy cannot judge: node -e and python -c are allowed
//     for that reason (the agent could write the same code to a file and run
//     it, and npm test runs whatever the project's scripts say); a program
//     piped into an interpreter (curl ... | sh, ... | node) is refused, a
//     here-document is fine. Refused: anything global or beyond the
//     worktree: npm install -g, npm link, npm publish/login/config set and
//     the other registry and account commands, yarn global, go install, go
//     env -w, go clean -modcache, cargo install/publish, pip install outside
//     a virtual environment of the worktree (.venv/bin/pip, a sourced
//     .venv/bin/activate, or --target inside) or with --user, playwright
//     install --with-deps; npx of a package that is neither one of the tools
//     above, nor installed in the project (node_modules/.bin), nor named in
//     security.allow, since npx would download and run it.
//   - git, except what reaches beyond the workflow's local branch: push,
//     fetch, pull, clone, ls-remote, remote add/set-url/remove, switch,
//     checkout -b or of another branch (checkout -- paths is fine), branch
//     -d/-D/-m/-f, worktree add/remove, submodule, filter-branch, config
//     --global/--system and config keys that run programs (aliases,
//     core.pager, core.sshCommand, ...; user.*, color.* and similar are
//     fine, also with -c), rebase --exec, bisect run, difftool, mergetool,
//     send-email, credential. reset --hard and clean are allowed: the
//     branch is the workflow's own.
//
// Refused with a reason the agent can act on: sudo su doas pkexec runuser
// (never), the network tools curl wget nc ncat netcat ssh scp sftp rsync
// ftp telnet socat, env with no command (it would print the secrets in the
// environment), and everything not listed.
//
// # Project rules
//
// security.allow in .autonomous/config.yaml (or the global config) adds
// command names ("curl"), lifts a built-in refusal by its name ("git push",
// "npm publish", "npx cowsay", "chmod 775"), or allows a script of the
// worktree ("scripts/check.sh"). An allowed command that the policy does not
// know is still checked for everything above (its redirections,
// substitutions, the directory it runs in is not), but its arguments are
// not interpreted. security.deny refuses by word prefix, matched against
// every command the shell would run: "npm" refuses all of npm, "git push" the
// push subcommand, "npm install -g" an install with -g among its
// arguments. security.writablePaths adds directories outside the worktree
// that may be written; security.pkill adds process names pkill may stop.
//
// # What it is not
//
// The policy guards against mistakes and against obvious or hidden escapes
// on the shell command line; it is not a sandbox. Programs it allows (a test
// runner, node -e, make) run code the shell line does not show, and can do
// anything the user running them can. Reading files is not restricted.
package policy

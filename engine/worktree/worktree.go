// Package worktree manages the git worktree each workflow works in: a
// checkout of branch autonomous/<id> under .autonomous/worktrees/<id>, so the
// agent never touches the user's own checkout.
//
// Everything goes through the real git binary, run in the repository. The
// package repairs what a crash leaves behind (a worktree git still lists
// whose folder is gone, or a folder git no longer knows), and it never
// deletes a commit that is not merged into the workflow's base.
package worktree

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Errors callers tell apart with errors.Is. The errors returned wrap them
// with what was being done and what the user can do about it.
var (
	ErrNotRepo      = errors.New("not a git repository")
	ErrNoCommits    = errors.New("the repository has no commits yet")
	ErrBadBase      = errors.New("base ref does not exist")
	ErrBranchExists = errors.New("branch already exists")
	ErrUnmerged     = errors.New("branch has commits not merged into its base")
	ErrInvalidID    = errors.New("invalid workflow id")
)

// BranchPrefix starts the name of every workflow branch.
const BranchPrefix = "autonomous/"

// The base of a workflow branch is kept in the branch's own git config
// section, so that it travels with the branch (git branch -m/-d handle it)
// and Remove can check "merged into its base" without the workflow file.
const (
	configBase       = "autonomousBase"
	configBaseCommit = "autonomousBaseCommit"
)

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidateID refuses ids that could escape the worktrees folder or make an
// odd branch name.
func ValidateID(id string) error {
	if !validID.MatchString(id) {
		return fmt.Errorf("%w %q: use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit", ErrInvalidID, id)
	}
	return nil
}

// Worktree is a workflow's checkout.
type Worktree struct {
	Path   string // absolute path of the checkout
	Branch string // short branch name, autonomous/<id>
	// BaseRef is the ref the branch started from, as the user named it; a
	// base of HEAD is recorded as the branch HEAD was on, such as "main".
	BaseRef string
	// BaseCommit is the commit BaseRef resolved to when the branch was made.
	BaseCommit string
	// Repaired says what was repaired to open the worktree (a stale entry
	// pruned, a stray folder moved aside); empty when nothing was.
	Repaired string
}

// Manager manages the workflow worktrees of one repository.
type Manager struct {
	Root string // the repository's top-level directory
}

// New returns the manager of the repository whose top level is root.
func New(root string) *Manager {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	return &Manager{Root: root}
}

// Path is where the worktree of workflow id lives. The id is not checked
// here; every method that touches the disk does.
func (m *Manager) Path(id string) string {
	return filepath.Join(m.Root, ".autonomous", "worktrees", id)
}

// Branch is the branch of workflow id.
func Branch(id string) string { return BranchPrefix + id }

// RepoRoot returns the top-level directory of the git repository containing dir.
func RepoRoot(ctx context.Context, dir string) (string, error) {
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("find the git repository of %s: %w", dir, err)
	}
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		var ge *GitError
		if errors.As(err, &ge) && ge.exitCode() == 128 && ctx.Err() == nil {
			return "", fmt.Errorf("%s is %w (nor inside one): run autonomous inside a git repository, or pass --project DIR", dir, ErrNotRepo)
		}
		return "", fmt.Errorf("find the git repository of %s: %w", dir, err)
	}
	if out == "" {
		// A bare repository has no top level, and no place for a worktree folder.
		return "", fmt.Errorf("%s is %w with a working tree (it may be bare): run autonomous inside a checkout, or pass --project DIR", dir, ErrNotRepo)
	}
	return filepath.FromSlash(out), nil
}

// Create makes the worktree of workflow id: a new branch autonomous/<id>
// from baseRef (default HEAD), checked out in Path(id). Left-overs of a crash
// of the same workflow are repaired: a stale entry is pruned, a stray folder
// moved aside, and an existing autonomous/<id> branch re-attached as it is,
// so no commit is lost. A branch of that name with no such left-over is
// refused with ErrBranchExists: it belongs to something else.
func (m *Manager) Create(ctx context.Context, id, baseRef string) (*Worktree, error) {
	wt, err := m.open(ctx, id, baseRef, false)
	if err != nil {
		return nil, fmt.Errorf("create worktree %s: %w", id, err)
	}
	return wt, nil
}

// Ensure opens the worktree of workflow id when it is healthy, and otherwise
// repairs or recreates it (re-attaching its branch when the branch exists).
// It is what resume uses.
func (m *Manager) Ensure(ctx context.Context, id, baseRef string) (*Worktree, error) {
	wt, err := m.open(ctx, id, baseRef, true)
	if err != nil {
		return nil, fmt.Errorf("open worktree %s: %w", id, err)
	}
	return wt, nil
}

// state is what the repository holds for one workflow id.
type state struct {
	branchTip string // "" when the branch does not exist
	own       *entry // the worktree registered at Path(id)
	elsewhere *entry // another worktree that has the branch checked out
	dirExists bool
}

func (s state) healthy() bool { return s.own != nil && !s.own.Prunable && s.dirExists }

func (m *Manager) open(ctx context.Context, id, baseRef string, resume bool) (*Worktree, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if baseRef == "" {
		baseRef = "HEAD"
	}
	if err := m.checkRepo(ctx); err != nil {
		return nil, err
	}
	unlock, err := m.lockRepo(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	path, branch := m.Path(id), Branch(id)
	st, err := m.inspect(ctx, id)
	if err != nil {
		return nil, err
	}

	if st.healthy() {
		if !resume {
			return nil, fmt.Errorf("%w: workflow %s already has its worktree at %s: resume that workflow, or delete it first", ErrBranchExists, id, path)
		}
		if st.own.Branch != "refs/heads/"+branch {
			on := strings.TrimPrefix(st.own.Branch, "refs/heads/")
			if on == "" {
				on = "a detached HEAD"
			}
			return nil, fmt.Errorf("worktree %s is on %s, not on %s: run `git -C %s switch %s` and try again", path, on, branch, path, branch)
		}
		return m.describe(ctx, id, baseRef, "")
	}

	leftOver := st.own != nil || st.dirExists
	if st.branchTip != "" && !leftOver && !resume {
		return nil, fmt.Errorf("%w: %s exists but no worktree of workflow %s does: it is left from an earlier workflow of the same id; delete it (`git branch -d %s`) or pick another name", ErrBranchExists, branch, id, branch)
	}
	if st.elsewhere != nil && !st.elsewhere.Prunable {
		return nil, fmt.Errorf("%w: %s is checked out in another worktree, %s: remove it there (`git worktree remove %s`) and try again", ErrBranchExists, branch, st.elsewhere.Path, st.elsewhere.Path)
	}

	// Resolve the base before repairing anything, so a bad base changes nothing.
	var base resolvedBase
	if st.branchTip == "" {
		if base, err = m.resolveBase(ctx, baseRef); err != nil {
			return nil, err
		}
	}

	repaired, err := m.repair(ctx, path, st)
	if err != nil {
		return nil, err
	}

	if st.branchTip != "" {
		// Re-attach: no -b, so the branch keeps every commit it has.
		if _, err := git(ctx, m.Root, "worktree", "add", path, branch); err != nil {
			return nil, fmt.Errorf("re-attach branch %s: %w", branch, err)
		}
		return m.describe(ctx, id, baseRef, joinNotes(repaired, "re-attached the existing branch "+branch))
	}

	// Record the base before creating the branch: a failure leaves no
	// branch behind, and a branch never exists without its base.
	if err := m.setBranchConfig(ctx, branch, base); err != nil {
		return nil, err
	}
	if _, err := git(ctx, m.Root, "worktree", "add", "-b", branch, path, base.commit); err != nil {
		m.removeBranchConfig(context.WithoutCancel(ctx), branch)
		return nil, fmt.Errorf("add worktree on new branch %s: %w", branch, err)
	}
	return &Worktree{Path: path, Branch: branch, BaseRef: base.ref, BaseCommit: base.commit, Repaired: repaired}, nil
}

func (m *Manager) checkRepo(ctx context.Context) error {
	if _, err := RepoRoot(ctx, m.Root); err != nil {
		return err
	}
	return nil
}

// inspect reads what git and the disk hold for workflow id.
func (m *Manager) inspect(ctx context.Context, id string) (state, error) {
	var st state
	branch := Branch(id)
	tip, err := m.resolve(ctx, "refs/heads/"+branch)
	if err != nil {
		return st, err
	}
	st.branchTip = tip
	out, err := git(ctx, m.Root, "worktree", "list", "--porcelain")
	if err != nil {
		return st, fmt.Errorf("list worktrees: %w", err)
	}
	path := canonical(m.Path(id))
	for _, e := range parseList(out) {
		if canonical(e.Path) == path {
			st.own = &e
		} else if e.Branch == "refs/heads/"+branch {
			st.elsewhere = &e
		}
	}
	if fi, err := os.Lstat(m.Path(id)); err == nil {
		st.dirExists = true
		if st.own != nil && (!fi.IsDir() || !exists(filepath.Join(m.Path(id), ".git"))) {
			// Git would call a checkout without its .git file prunable; older
			// gits do not say so, so decide it here.
			st.own.Prunable = true
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("inspect %s: %w", m.Path(id), err)
	} else if st.own != nil {
		st.own.Prunable = true
	}
	return st, nil
}

// repair clears the left-overs of a crash at path so that `git worktree add`
// can succeed there, and says what it did.
func (m *Manager) repair(ctx context.Context, path string, st state) (string, error) {
	var notes []string
	if st.own != nil && st.own.Locked {
		// A crash during `git worktree add` leaves the entry locked
		// ("initializing"), and prune skips locked entries.
		if _, err := git(ctx, m.Root, "worktree", "unlock", path); err != nil {
			return "", fmt.Errorf("unlock stale worktree %s: %w", path, err)
		}
	}
	if st.dirExists {
		moved, err := clearDir(path)
		if err != nil {
			return "", err
		}
		if moved != "" {
			notes = append(notes, fmt.Sprintf("moved the folder %s, which git no longer knew as a worktree, aside to %s (delete it once you have checked nothing in it is needed)", path, moved))
		}
	}
	if st.own != nil || (st.elsewhere != nil && st.elsewhere.Prunable) {
		if _, err := git(ctx, m.Root, "worktree", "prune"); err != nil {
			return "", fmt.Errorf("prune stale worktrees: %w", err)
		}
		notes = append(notes, "pruned a stale worktree entry")
	}
	return joinNotes(notes...), nil
}

// clearDir empties the way for a new checkout at path: an empty folder is
// removed; anything else is moved aside, because it may hold work the agent
// had not committed. It returns where it moved the folder to.
func clearDir(path string) (string, error) {
	if err := os.Remove(path); err == nil {
		return "", nil
	}
	aside := fmt.Sprintf("%s.stale-%s", path, time.Now().UTC().Format("20060102T150405.000000000"))
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("move stale worktree folder %s aside: %w", path, err)
	}
	return aside, nil
}

type resolvedBase struct{ ref, commit string }

// resolveBase turns the base the user named into a commit, telling an empty
// repository and a mistyped ref apart.
func (m *Manager) resolveBase(ctx context.Context, ref string) (resolvedBase, error) {
	if strings.HasPrefix(ref, "-") {
		return resolvedBase{}, fmt.Errorf("%w: %q is not a ref name", ErrBadBase, ref)
	}
	commit, err := m.resolve(ctx, ref+"^{commit}")
	if err != nil {
		return resolvedBase{}, err
	}
	if commit == "" {
		anyRef, err := git(ctx, m.Root, "for-each-ref", "--count=1", "--format=%(refname)")
		if err != nil {
			return resolvedBase{}, fmt.Errorf("list refs: %w", err)
		}
		head, err := m.resolve(ctx, "HEAD")
		if err != nil {
			return resolvedBase{}, err
		}
		if anyRef == "" && head == "" {
			return resolvedBase{}, fmt.Errorf("%w in %s: make a first commit (for example `git commit --allow-empty -m init`) and try again", ErrNoCommits, m.Root)
		}
		return resolvedBase{}, fmt.Errorf("%w: %q in %s: check the name with `git branch -a` or `git tag`, or leave the base out to start from HEAD", ErrBadBase, ref, m.Root)
	}
	if ref == "HEAD" {
		// Record the branch HEAD is on, so "merged into its base" later means
		// merged into that branch, not into whatever HEAD is then.
		if name, err := git(ctx, m.Root, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil && name != "" {
			ref = name
		}
	}
	return resolvedBase{ref: ref, commit: commit}, nil
}

// resolve returns the commit rev names, or "" when it names nothing.
func (m *Manager) resolve(ctx context.Context, rev string) (string, error) {
	out, err := git(ctx, m.Root, "rev-parse", "--verify", "--quiet", "--end-of-options", rev)
	if err != nil {
		var ge *GitError
		if errors.As(err, &ge) && ge.exitCode() == 1 && ctx.Err() == nil {
			return "", nil
		}
		return "", fmt.Errorf("resolve %s: %w", rev, err)
	}
	return out, nil
}

func (m *Manager) setBranchConfig(ctx context.Context, branch string, base resolvedBase) error {
	for key, value := range map[string]string{configBase: base.ref, configBaseCommit: base.commit} {
		if err := m.gitConfig(ctx, "branch."+branch+"."+key, value); err != nil {
			return fmt.Errorf("record the base of %s: %w", branch, err)
		}
	}
	return nil
}

// gitConfig sets a key in the repository's config. Git takes config.lock
// without waiting, so two workflows created at once could collide: retry a
// few times before giving up.
func (m *Manager) gitConfig(ctx context.Context, key, value string) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if _, err = git(ctx, m.Root, "config", key, value); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(20<<attempt) * time.Millisecond):
		}
	}
	return err
}

// removeBranchConfig drops the branch's config section, as `git branch -d` does.
func (m *Manager) removeBranchConfig(ctx context.Context, branch string) error {
	keys, err := git(ctx, m.Root, "config", "--get-regexp", `^branch\.`+regexp.QuoteMeta(branch)+`\.`)
	if err != nil || keys == "" {
		return nil // no section: nothing to drop
	}
	if _, err := git(ctx, m.Root, "config", "--remove-section", "branch."+branch); err != nil {
		return fmt.Errorf("remove the config of branch %s: %w", branch, err)
	}
	return nil
}

// branchBase returns the recorded base of branch ("" when none was recorded).
func (m *Manager) branchBase(ctx context.Context, branch string) (ref, commit string) {
	ref, _ = git(ctx, m.Root, "config", "--get", "branch."+branch+"."+configBase)
	commit, _ = git(ctx, m.Root, "config", "--get", "branch."+branch+"."+configBaseCommit)
	return ref, commit
}

// describe builds the Worktree of an existing checkout from what git recorded.
func (m *Manager) describe(ctx context.Context, id, baseRef, repaired string) (*Worktree, error) {
	branch := Branch(id)
	ref, commit := m.branchBase(ctx, branch)
	if ref == "" {
		// A branch made by hand, or by an older version: record the base the
		// caller names now, so Remove can check merges against it.
		base, err := m.resolveBase(ctx, baseRef)
		if err != nil {
			// The base may be gone (a deleted branch): the worktree is still
			// usable, and Remove falls back to HEAD for its merge check.
			return &Worktree{Path: m.Path(id), Branch: branch, BaseRef: baseRef, Repaired: repaired}, nil
		}
		if mb, err := git(ctx, m.Root, "merge-base", base.commit, "refs/heads/"+branch); err == nil {
			base.commit = mb
		}
		if err := m.setBranchConfig(ctx, branch, base); err != nil {
			return nil, err
		}
		ref, commit = base.ref, base.commit
	}
	return &Worktree{Path: m.Path(id), Branch: branch, BaseRef: ref, BaseCommit: commit, Repaired: repaired}, nil
}

// UnmergedError is the ErrUnmerged Remove returns: the branch was kept
// because deleting it would lose Commits commits.
type UnmergedError struct {
	Branch  string
	Base    string
	Commits int
}

func (e *UnmergedError) Error() string {
	s := "s"
	if e.Commits == 1 {
		s = ""
	}
	return fmt.Sprintf("kept branch %s: it has %d commit%s not merged into %s, which deleting it would lose; merge it, or delete it by hand with `git branch -D %s` if you are sure", e.Branch, e.Commits, s, e.Base, e.Branch)
}

func (e *UnmergedError) Is(target error) bool { return target == ErrUnmerged }

// Remove deletes the worktree of workflow id, even with uncommitted changes
// in it, and prunes git's record of it. The branch is kept, unless
// deleteBranch is set and the branch is merged into its base; an unmerged
// branch is kept and reported with an *UnmergedError (errors.Is ErrUnmerged),
// after the worktree has been removed.
func (m *Manager) Remove(ctx context.Context, id string, deleteBranch bool) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	if err := m.checkRepo(ctx); err != nil {
		return err
	}
	unlock, err := m.lockRepo(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	path, branch := m.Path(id), Branch(id)
	st, err := m.inspect(ctx, id)
	if err != nil {
		return fmt.Errorf("remove worktree %s: %w", id, err)
	}
	if st.own != nil && st.own.Locked && !st.healthy() {
		// prune skips locked entries; a crash during `git worktree add` leaves one.
		if _, err := git(ctx, m.Root, "worktree", "unlock", path); err != nil {
			return fmt.Errorf("remove worktree %s: unlock: %w", id, err)
		}
	}
	if st.healthy() {
		// --force twice: also when the worktree has changes or is locked.
		if _, err := git(ctx, m.Root, "worktree", "remove", "--force", "--force", path); err != nil {
			return fmt.Errorf("remove worktree %s: %w", id, err)
		}
	} else if st.dirExists {
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("remove worktree %s: %w", id, err)
		}
	}
	if _, err := git(ctx, m.Root, "worktree", "prune"); err != nil {
		return fmt.Errorf("remove worktree %s: prune: %w", id, err)
	}
	if !deleteBranch || st.branchTip == "" {
		return nil
	}
	if err := m.deleteMergedBranch(ctx, branch); err != nil {
		return fmt.Errorf("remove worktree %s: %w", id, err)
	}
	return nil
}

// deleteMergedBranch deletes branch only when every commit on it is reachable
// from its base.
func (m *Manager) deleteMergedBranch(ctx context.Context, branch string) error {
	ref := "refs/heads/" + branch
	tip, err := m.resolve(ctx, ref)
	if err != nil || tip == "" {
		return err
	}
	base, _ := m.branchBase(ctx, branch)
	baseCommit := ""
	if base != "" {
		if baseCommit, err = m.resolve(ctx, base+"^{commit}"); err != nil {
			return err
		}
	}
	if baseCommit == "" {
		// No base recorded, or the base is gone: HEAD is the one ref left
		// that says what the user keeps. Reachable from HEAD loses nothing.
		base = "HEAD"
		if baseCommit, err = m.resolve(ctx, "HEAD^{commit}"); err != nil {
			return err
		}
	}
	merged := false
	if baseCommit != "" {
		_, err := git(ctx, m.Root, "merge-base", "--is-ancestor", tip, baseCommit)
		var ge *GitError
		switch {
		case err == nil:
			merged = true
		case errors.As(err, &ge) && ge.exitCode() == 1:
			// exit status 1 is git's "no": not merged.
		default:
			return fmt.Errorf("check whether %s is merged into %s: %w", branch, base, err)
		}
	}
	if !merged {
		n := 0
		rng := tip
		if baseCommit != "" {
			rng = baseCommit + ".." + tip
		}
		if out, err := git(ctx, m.Root, "rev-list", "--count", rng); err == nil {
			n, _ = strconv.Atoi(out)
		}
		return &UnmergedError{Branch: branch, Base: base, Commits: n}
	}
	// update-ref with the old value deletes the branch only if it still
	// points where we checked it: a commit made meanwhile keeps it alive.
	if _, err := git(ctx, m.Root, "update-ref", "-d", ref, tip); err != nil {
		return fmt.Errorf("delete branch %s: %w", branch, err)
	}
	return m.removeBranchConfig(ctx, branch)
}

// HeadCommit returns the commit checked out in the worktree of workflow id.
func (m *Manager) HeadCommit(ctx context.Context, id string) (string, error) {
	dir, err := m.existing(id)
	if err != nil {
		return "", err
	}
	out, err := git(ctx, dir, "rev-parse", "--verify", "HEAD")
	if err != nil {
		return "", fmt.Errorf("read the head commit of worktree %s: %w", id, err)
	}
	return out, nil
}

// IsClean reports whether the worktree of workflow id has nothing
// uncommitted: no staged, changed or untracked file (ignored files aside).
func (m *Manager) IsClean(ctx context.Context, id string) (bool, error) {
	dir, err := m.existing(id)
	if err != nil {
		return false, err
	}
	// --no-optional-locks: the agent may be committing in this worktree at
	// the same moment, and a status that takes index.lock would make its
	// commit fail.
	out, err := git(ctx, dir, "--no-optional-locks", "status", "--porcelain", "--untracked-files=all")
	if err != nil {
		return false, fmt.Errorf("check whether worktree %s is clean: %w", id, err)
	}
	return out == "", nil
}

func (m *Manager) existing(id string) (string, error) {
	if err := ValidateID(id); err != nil {
		return "", err
	}
	dir := m.Path(id)
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("worktree of workflow %s: %w (resume the workflow to recreate it)", id, err)
	}
	return dir, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// canonical makes paths comparable whatever symlinks lead to them (git
// prints real paths; the root we were given may go through a symlink).
func canonical(path string) string {
	path = filepath.Clean(path)
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	// The path itself may be gone (a stale worktree): resolve its parent.
	if real, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		return filepath.Join(real, filepath.Base(path))
	}
	return path
}

func joinNotes(notes ...string) string {
	var kept []string
	for _, n := range notes {
		if n != "" {
			kept = append(kept, n)
		}
	}
	return strings.Join(kept, "; ")
}

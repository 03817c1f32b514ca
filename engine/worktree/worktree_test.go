package worktree

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain keeps git away from the machine's own configuration and gives the
// test repositories an author, so the tests see what a fresh user sees.
func TestMain(m *testing.M) {
	for k, v := range map[string]string{
		"GIT_CONFIG_GLOBAL":   os.DevNull,
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME":     "Test",
		"GIT_AUTHOR_EMAIL":    "test@example.com",
		"GIT_COMMITTER_NAME":  "Test",
		"GIT_COMMITTER_EMAIL": "test@example.com",
	} {
		os.Setenv(k, v)
	}
	os.Exit(m.Run())
}

// run runs git in dir and fails the test when it fails.
func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// newRepo makes a repository on branch main with one commit.
func newRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	writeFile(t, filepath.Join(dir, "README.md"), "hello\n")
	run(t, dir, "add", ".")
	run(t, dir, "commit", "-q", "-m", "init")
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// commitIn commits a new file in dir and returns the commit.
func commitIn(t *testing.T, dir, name string) string {
	t.Helper()
	writeFile(t, filepath.Join(dir, name), name+"\n")
	run(t, dir, "add", name)
	run(t, dir, "commit", "-q", "-m", "add "+name)
	return run(t, dir, "rev-parse", "HEAD")
}

func branchExists(t *testing.T, repo, branch string) bool {
	t.Helper()
	cmd := exec.Command("git", "show-ref", "--verify", "--quiet", "refs/heads/"+branch)
	cmd.Dir = repo
	return cmd.Run() == nil
}

func registered(t *testing.T, repo, path string) bool {
	t.Helper()
	for _, e := range parseList(run(t, repo, "worktree", "list", "--porcelain")) {
		if canonical(e.Path) == canonical(path) {
			return true
		}
	}
	return false
}

func TestRepoRoot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newRepo(t)
	sub := filepath.Join(repo, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	plain := t.TempDir()

	for _, tc := range []struct {
		name    string
		dir     string
		want    string
		wantErr error
		msg     string
	}{
		{name: "root", dir: repo, want: repo},
		{name: "subdirectory", dir: sub, want: repo},
		{name: "not a repository", dir: plain, wantErr: ErrNotRepo, msg: "--project"},
		{name: "missing directory", dir: filepath.Join(plain, "nope"), wantErr: os.ErrNotExist, msg: "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RepoRoot(ctx, tc.dir)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("RepoRoot(%s) = %q, %v; want %v mentioning %q", tc.dir, got, err, tc.wantErr, tc.msg)
				}
				return
			}
			if err != nil || canonical(got) != canonical(tc.want) {
				t.Fatalf("RepoRoot(%s) = %q, %v; want %q", tc.dir, got, err, tc.want)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newRepo(t)
	first := run(t, repo, "rev-parse", "HEAD")
	run(t, repo, "tag", "v1")
	run(t, repo, "branch", "release")
	second := commitIn(t, repo, "second.txt")

	for _, tc := range []struct {
		id, base            string
		wantRef, wantCommit string
	}{
		{id: "default-base", base: "", wantRef: "main", wantCommit: second},
		{id: "head", base: "HEAD", wantRef: "main", wantCommit: second},
		{id: "branch", base: "release", wantRef: "release", wantCommit: first},
		{id: "tag", base: "v1", wantRef: "v1", wantCommit: first},
		{id: "sha", base: first, wantRef: first, wantCommit: first},
		{id: "relative", base: "main~1", wantRef: "main~1", wantCommit: first},
	} {
		t.Run(tc.id, func(t *testing.T) {
			m := New(repo)
			wt, err := m.Create(ctx, tc.id, tc.base)
			if err != nil {
				t.Fatal(err)
			}
			want := Worktree{Path: m.Path(tc.id), Branch: "autonomous/" + tc.id, BaseRef: tc.wantRef, BaseCommit: tc.wantCommit}
			if *wt != want {
				t.Fatalf("Create = %+v\nwant     %+v", *wt, want)
			}
			if head := run(t, wt.Path, "rev-parse", "HEAD"); head != tc.wantCommit {
				t.Errorf("worktree HEAD = %s, want %s", head, tc.wantCommit)
			}
			if b := run(t, wt.Path, "branch", "--show-current"); b != wt.Branch {
				t.Errorf("worktree is on %q, want %q", b, wt.Branch)
			}
			if _, err := os.Stat(filepath.Join(wt.Path, "README.md")); err != nil {
				t.Errorf("the checkout lacks the base's files: %v", err)
			}
			// The user's checkout is untouched.
			if b := run(t, repo, "branch", "--show-current"); b != "main" {
				t.Errorf("the user's checkout moved to %q", b)
			}
		})
	}
}

func TestCreateRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T) string // returns the repository
		id      string
		base    string
		wantErr error
		msg     []string
	}{
		{
			name:    "not a repository",
			setup:   func(t *testing.T) string { return t.TempDir() },
			id:      "w1",
			wantErr: ErrNotRepo,
			msg:     []string{"git repository", "--project"},
		},
		{
			name: "no commits",
			setup: func(t *testing.T) string {
				dir := t.TempDir()
				run(t, dir, "init", "-q", "-b", "main")
				return dir
			},
			id:      "w1",
			wantErr: ErrNoCommits,
			msg:     []string{"make a first commit"},
		},
		{
			name: "no commits, named base",
			setup: func(t *testing.T) string {
				dir := t.TempDir()
				run(t, dir, "init", "-q", "-b", "main")
				return dir
			},
			id:      "w1",
			base:    "main",
			wantErr: ErrNoCommits,
			msg:     []string{"make a first commit"},
		},
		{
			name:    "missing base",
			setup:   newRepo,
			id:      "w1",
			base:    "no-such-branch",
			wantErr: ErrBadBase,
			msg:     []string{`"no-such-branch"`, "git branch -a"},
		},
		{
			name:    "base that looks like an option",
			setup:   newRepo,
			id:      "w1",
			base:    "--orphan",
			wantErr: ErrBadBase,
			msg:     []string{`"--orphan"`},
		},
		{
			name: "branch of that name exists",
			setup: func(t *testing.T) string {
				repo := newRepo(t)
				run(t, repo, "branch", "autonomous/w1")
				return repo
			},
			id:      "w1",
			wantErr: ErrBranchExists,
			msg:     []string{"autonomous/w1", "git branch -d"},
		},
		{
			name: "branch checked out elsewhere",
			setup: func(t *testing.T) string {
				repo := newRepo(t)
				other := filepath.Join(t.TempDir(), "other")
				run(t, repo, "worktree", "add", "-q", "-b", "autonomous/w1", other)
				writeFile(t, filepath.Join(repo, ".autonomous", "worktrees", "w1", "junk"), "x")
				return repo
			},
			id:      "w1",
			wantErr: ErrBranchExists,
			msg:     []string{"checked out in another worktree", "git worktree remove"},
		},
		{name: "path escape", setup: newRepo, id: "../x", wantErr: ErrInvalidID, msg: []string{`"../x"`}},
		{name: "upper case", setup: newRepo, id: "Work", wantErr: ErrInvalidID},
		{name: "empty id", setup: newRepo, id: "", wantErr: ErrInvalidID},
		{name: "leading dash", setup: newRepo, id: "-x", wantErr: ErrInvalidID},
		{name: "too long", setup: newRepo, id: strings.Repeat("a", 64), wantErr: ErrInvalidID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := tc.setup(t)
			m := New(repo)
			hadBranch := branchExists(t, repo, "autonomous/"+tc.id)
			wt, err := m.Create(ctx, tc.id, tc.base)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Create = %+v, %v; want %v", wt, err, tc.wantErr)
			}
			for _, s := range tc.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			// A refusal changes nothing.
			if tc.wantErr != ErrInvalidID && tc.wantErr != ErrNotRepo {
				if !hadBranch && branchExists(t, repo, "autonomous/"+tc.id) {
					t.Errorf("a refused Create left branch autonomous/%s behind", tc.id)
				}
				if tc.wantErr != ErrBranchExists {
					if _, err := os.Stat(m.Path(tc.id)); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("a refused Create left %s behind (%v)", m.Path(tc.id), err)
					}
				}
			}
		})
	}
}

// crash describes how a previous run left workflow w1's worktree.
type crash struct {
	name  string
	apply func(t *testing.T, repo string, m *Manager)
	// leftFolder: the old folder still exists and must be moved aside, not lost.
	leftFolder bool
}

var crashes = []crash{
	{
		name: "folder deleted, git still lists it",
		apply: func(t *testing.T, repo string, m *Manager) {
			if err := os.RemoveAll(m.Path("w1")); err != nil {
				t.Fatal(err)
			}
		},
	},
	{
		name: "folder deleted while locked by an interrupted add",
		apply: func(t *testing.T, repo string, m *Manager) {
			run(t, repo, "worktree", "lock", "--reason", "initializing", m.Path("w1"))
			if err := os.RemoveAll(m.Path("w1")); err != nil {
				t.Fatal(err)
			}
		},
	},
	{
		name: "folder left, git's record gone",
		apply: func(t *testing.T, repo string, m *Manager) {
			admin := run(t, m.Path("w1"), "rev-parse", "--absolute-git-dir")
			if err := os.RemoveAll(admin); err != nil {
				t.Fatal(err)
			}
		},
		leftFolder: true,
	},
	{
		name: "folder left without its .git file",
		apply: func(t *testing.T, repo string, m *Manager) {
			if err := os.Remove(filepath.Join(m.Path("w1"), ".git")); err != nil {
				t.Fatal(err)
			}
		},
		leftFolder: true,
	},
}

// TestRecoverAfterCrash: whatever state a crash left, Create and Ensure give
// back a working checkout of the same branch with every commit on it.
func TestRecoverAfterCrash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range crashes {
		for _, method := range []string{"Create", "Ensure"} {
			t.Run(c.name+"/"+method, func(t *testing.T) {
				t.Parallel()
				repo := newRepo(t)
				m := New(repo)
				wt, err := m.Create(ctx, "w1", "")
				if err != nil {
					t.Fatal(err)
				}
				work := commitIn(t, wt.Path, "feature.txt")
				writeFile(t, filepath.Join(wt.Path, "uncommitted.txt"), "draft\n")
				c.apply(t, repo, m)

				open := m.Create
				if method == "Ensure" {
					open = m.Ensure
				}
				got, err := open(ctx, "w1", "")
				if err != nil {
					t.Fatalf("%s after crash: %v", method, err)
				}
				if got.Repaired == "" {
					t.Errorf("%s did not say what it repaired", method)
				}
				if head := run(t, got.Path, "rev-parse", "HEAD"); head != work {
					t.Fatalf("recovered worktree is at %s, want the branch's commit %s", head, work)
				}
				if b := run(t, got.Path, "branch", "--show-current"); b != "autonomous/w1" {
					t.Errorf("recovered worktree is on %q", b)
				}
				if got.BaseRef != "main" || got.BaseCommit != wt.BaseCommit {
					t.Errorf("base = %s %s, want main %s", got.BaseRef, got.BaseCommit, wt.BaseCommit)
				}
				if !registered(t, repo, got.Path) {
					t.Errorf("git does not list the recovered worktree")
				}
				clean, err := m.IsClean(ctx, "w1")
				if err != nil || !clean {
					t.Errorf("IsClean = %v, %v; want a fresh checkout", clean, err)
				}
				if c.leftFolder {
					aside, _ := filepath.Glob(m.Path("w1") + ".stale-*")
					if len(aside) != 1 {
						t.Fatalf("want the old folder moved aside, found %v", aside)
					}
					if !strings.Contains(got.Repaired, aside[0]) {
						t.Errorf("Repaired %q does not say where the old folder went", got.Repaired)
					}
					if b, err := os.ReadFile(filepath.Join(aside[0], "uncommitted.txt")); err != nil || string(b) != "draft\n" {
						t.Errorf("the uncommitted file of the old folder was lost: %q, %v", b, err)
					}
				}
			})
		}
	}
}

func TestEnsure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("healthy worktree is opened as it is", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		m := New(repo)
		wt, err := m.Create(ctx, "w1", "")
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(wt.Path, "draft.txt"), "in progress\n")
		got, err := m.Ensure(ctx, "w1", "")
		if err != nil {
			t.Fatal(err)
		}
		if *got != *wt {
			t.Errorf("Ensure = %+v, want %+v", *got, *wt)
		}
		if b, err := os.ReadFile(filepath.Join(wt.Path, "draft.txt")); err != nil || string(b) != "in progress\n" {
			t.Errorf("Ensure touched the work in the worktree: %q, %v", b, err)
		}
		// Create refuses what Ensure accepts.
		if _, err := m.Create(ctx, "w1", ""); !errors.Is(err, ErrBranchExists) {
			t.Errorf("Create over a healthy worktree = %v, want ErrBranchExists", err)
		}
	})

	t.Run("branch left, worktree removed", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		m := New(repo)
		wt, err := m.Create(ctx, "w1", "")
		if err != nil {
			t.Fatal(err)
		}
		work := commitIn(t, wt.Path, "feature.txt")
		if err := m.Remove(ctx, "w1", false); err != nil {
			t.Fatal(err)
		}
		got, err := m.Ensure(ctx, "w1", "")
		if err != nil {
			t.Fatal(err)
		}
		if head := run(t, got.Path, "rev-parse", "HEAD"); head != work {
			t.Errorf("re-attached worktree at %s, want %s", head, work)
		}
		if got.BaseCommit != wt.BaseCommit {
			t.Errorf("base commit %s, want %s", got.BaseCommit, wt.BaseCommit)
		}
	})

	t.Run("nothing left: created from the base", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		m := New(repo)
		got, err := m.Ensure(ctx, "w1", "main")
		if err != nil {
			t.Fatal(err)
		}
		if got.BaseCommit != run(t, repo, "rev-parse", "main") || !branchExists(t, repo, "autonomous/w1") {
			t.Errorf("Ensure = %+v", got)
		}
	})

	t.Run("branch made by hand gets its base recorded", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		base := run(t, repo, "rev-parse", "HEAD")
		run(t, repo, "branch", "autonomous/w1")
		commitIn(t, repo, "later.txt") // main moves on; the branch's base stays
		m := New(repo)
		got, err := m.Ensure(ctx, "w1", "main")
		if err != nil {
			t.Fatal(err)
		}
		if got.BaseRef != "main" || got.BaseCommit != base {
			t.Errorf("base = %s %s, want main %s", got.BaseRef, got.BaseCommit, base)
		}
	})

	t.Run("worktree switched to another branch", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		m := New(repo)
		wt, err := m.Create(ctx, "w1", "")
		if err != nil {
			t.Fatal(err)
		}
		run(t, wt.Path, "switch", "-q", "-c", "elsewhere")
		_, err = m.Ensure(ctx, "w1", "")
		if err == nil || !strings.Contains(err.Error(), "elsewhere") || !strings.Contains(err.Error(), "switch autonomous/w1") {
			t.Errorf("Ensure = %v, want an error naming the branch and the fix", err)
		}
	})
}

func TestRemove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	for _, tc := range []struct {
		name         string
		prepare      func(t *testing.T, repo string, wt *Worktree) // after Create
		deleteBranch bool
		wantBranch   bool
		wantErr      error
		msg          []string
	}{
		{name: "keep branch", deleteBranch: false, wantBranch: true},
		{
			name: "keep unmerged branch without deleteBranch",
			prepare: func(t *testing.T, repo string, wt *Worktree) {
				commitIn(t, wt.Path, "a.txt")
			},
			wantBranch: true,
		},
		{name: "delete branch with no new commits", deleteBranch: true, wantBranch: false},
		{
			name: "unmerged commits survive deleteBranch",
			prepare: func(t *testing.T, repo string, wt *Worktree) {
				commitIn(t, wt.Path, "a.txt")
				commitIn(t, wt.Path, "b.txt")
			},
			deleteBranch: true,
			wantBranch:   true,
			wantErr:      ErrUnmerged,
			msg:          []string{"2 commits", "not merged into main", "git branch -D autonomous/w1"},
		},
		{
			name: "merged branch is deleted",
			prepare: func(t *testing.T, repo string, wt *Worktree) {
				commitIn(t, wt.Path, "a.txt")
				run(t, repo, "merge", "-q", "--ff-only", wt.Branch)
			},
			deleteBranch: true,
			wantBranch:   false,
		},
		{
			name: "merged into its base, not into HEAD",
			prepare: func(t *testing.T, repo string, wt *Worktree) {
				commitIn(t, wt.Path, "a.txt")
				run(t, repo, "merge", "-q", "--ff-only", wt.Branch)
				run(t, repo, "switch", "-q", "-c", "other", "HEAD~1")
			},
			deleteBranch: true,
			wantBranch:   false,
		},
		{
			name: "uncommitted changes do not block removal",
			prepare: func(t *testing.T, repo string, wt *Worktree) {
				writeFile(t, filepath.Join(wt.Path, "README.md"), "changed\n")
				writeFile(t, filepath.Join(wt.Path, "new.txt"), "new\n")
			},
			deleteBranch: true,
			wantBranch:   false,
		},
		{
			name: "folder already gone",
			prepare: func(t *testing.T, repo string, wt *Worktree) {
				os.RemoveAll(wt.Path)
			},
			deleteBranch: true,
			wantBranch:   false,
		},
		{
			name: "locked worktree",
			prepare: func(t *testing.T, repo string, wt *Worktree) {
				run(t, repo, "worktree", "lock", wt.Path)
			},
			wantBranch: true,
		},
		{
			name: "base branch deleted: merge checked against HEAD",
			prepare: func(t *testing.T, repo string, wt *Worktree) {
				commitIn(t, wt.Path, "a.txt")
				run(t, repo, "switch", "-q", "-c", "trunk")
				run(t, repo, "branch", "-q", "-D", "main")
			},
			deleteBranch: true,
			wantBranch:   true,
			wantErr:      ErrUnmerged,
			msg:          []string{"1 commit not merged into HEAD"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := newRepo(t)
			m := New(repo)
			wt, err := m.Create(ctx, "w1", "")
			if err != nil {
				t.Fatal(err)
			}
			if tc.prepare != nil {
				tc.prepare(t, repo, wt)
			}
			var tip string
			if branchExists(t, repo, wt.Branch) {
				tip = run(t, repo, "rev-parse", wt.Branch)
			}
			err = m.Remove(ctx, "w1", tc.deleteBranch)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Remove = %v, want %v", err, tc.wantErr)
			}
			for _, s := range tc.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if _, err := os.Stat(wt.Path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("worktree folder still there (%v)", err)
			}
			if registered(t, repo, wt.Path) {
				t.Errorf("git still lists the worktree")
			}
			if got := branchExists(t, repo, wt.Branch); got != tc.wantBranch {
				t.Fatalf("branch exists = %v, want %v", got, tc.wantBranch)
			}
			if tc.wantBranch {
				if got := run(t, repo, "rev-parse", wt.Branch); got != tip {
					t.Errorf("branch moved from %s to %s", tip, got)
				}
			} else if out := run(t, repo, "config", "--list"); strings.Contains(out, "branch.autonomous/w1.") {
				t.Errorf("the deleted branch's config is left:\n%s", out)
			}
		})
	}
}

func TestRemoveIsRepeatable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newRepo(t)
	m := New(repo)
	if _, err := m.Create(ctx, "w1", ""); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := m.Remove(ctx, "w1", true); err != nil {
			t.Fatalf("Remove #%d: %v", i+1, err)
		}
	}
	if _, err := m.Create(ctx, "w1", ""); err != nil {
		t.Fatalf("Create after Remove: %v", err)
	}
}

func TestUnmergedErrorAs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newRepo(t)
	m := New(repo)
	wt, err := m.Create(ctx, "w1", "")
	if err != nil {
		t.Fatal(err)
	}
	commitIn(t, wt.Path, "a.txt")
	var ue *UnmergedError
	if err := m.Remove(ctx, "w1", true); !errors.As(err, &ue) {
		t.Fatalf("Remove = %v, want *UnmergedError", err)
	}
	if ue.Commits != 1 || ue.Base != "main" || ue.Branch != "autonomous/w1" {
		t.Errorf("UnmergedError = %+v", *ue)
	}
}

func TestHeadCommitAndIsClean(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newRepo(t)
	m := New(repo)
	wt, err := m.Create(ctx, "w1", "")
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string, wantHead string, wantClean bool) {
		t.Helper()
		head, err := m.HeadCommit(ctx, "w1")
		if err != nil || head != wantHead {
			t.Errorf("%s: HeadCommit = %q, %v; want %s", step, head, err, wantHead)
		}
		clean, err := m.IsClean(ctx, "w1")
		if err != nil || clean != wantClean {
			t.Errorf("%s: IsClean = %v, %v; want %v", step, clean, err, wantClean)
		}
	}
	check("fresh", wt.BaseCommit, true)
	writeFile(t, filepath.Join(wt.Path, "dir", "untracked.txt"), "x\n")
	check("untracked file", wt.BaseCommit, false)
	run(t, wt.Path, "add", ".")
	check("staged file", wt.BaseCommit, false)
	run(t, wt.Path, "commit", "-q", "-m", "work")
	head := run(t, wt.Path, "rev-parse", "HEAD")
	check("committed", head, true)
	writeFile(t, filepath.Join(wt.Path, "README.md"), "edited\n")
	check("modified file", head, false)
	writeFile(t, filepath.Join(wt.Path, ".gitignore"), "*.log\n")
	run(t, wt.Path, "add", ".")
	run(t, wt.Path, "commit", "-q", "-m", "ignore logs")
	head = run(t, wt.Path, "rev-parse", "HEAD")
	writeFile(t, filepath.Join(wt.Path, "server.log"), "noise\n")
	check("ignored file only", head, true)

	if _, err := m.HeadCommit(ctx, "w2"); err == nil || !strings.Contains(err.Error(), "w2") {
		t.Errorf("HeadCommit of a missing worktree = %v, want an error naming it", err)
	}
	if _, err := m.IsClean(ctx, "../w1"); !errors.Is(err, ErrInvalidID) {
		t.Errorf("IsClean(../w1) = %v, want ErrInvalidID", err)
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	repo := newRepo(t)
	m := New(repo)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Create(ctx, "w1", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with a cancelled context = %v, want context.Canceled", err)
	}
	if branchExists(t, repo, "autonomous/w1") {
		t.Errorf("a cancelled Create left a branch")
	}
}

// TestGitErrorsCarryStderr: when git itself fails, the user sees what git said.
func TestGitErrorsCarryStderr(t *testing.T) {
	t.Parallel()
	repo := newRepo(t)
	_, err := git(context.Background(), repo, "rev-parse", "--verify", "no-such-ref")
	var ge *GitError
	if !errors.As(err, &ge) || ge.Stderr == "" || !strings.Contains(err.Error(), ge.Stderr) {
		t.Fatalf("git error = %v, want one carrying git's stderr", err)
	}
	if !strings.Contains(err.Error(), repo) {
		t.Errorf("git error %q does not say where git ran", err)
	}
}

func TestParseList(t *testing.T) {
	t.Parallel()
	out := "worktree /r\nHEAD abc\nbranch refs/heads/main\n\n" +
		"worktree /r/.autonomous/worktrees/a\nHEAD def\nbranch refs/heads/autonomous/a\nlocked initializing\nprunable gitdir file points to non-existent location\n\n" +
		"worktree /r/x\nHEAD 123\ndetached\n"
	got := parseList(out)
	want := []entry{
		{Path: "/r", Head: "abc", Branch: "refs/heads/main"},
		{Path: "/r/.autonomous/worktrees/a", Head: "def", Branch: "refs/heads/autonomous/a", Locked: true, Prunable: true},
		{Path: "/r/x", Head: "123"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseList =\n%+v\nwant\n%+v", got, want)
	}
}

// TestConcurrentCreate: workflows started at the same moment (two editors,
// or the CLI and the LSP server) all get their worktree, although git takes
// its config lock without waiting.
func TestConcurrentCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	repo := newRepo(t)
	m := New(repo)
	const n = 6
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := m.Create(ctx, fmt.Sprintf("w%d", i), "")
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("w%d", i)
		if ref, _ := m.branchBase(ctx, Branch(id)); ref != "main" {
			t.Errorf("%s: recorded base %q, want main", id, ref)
		}
	}
}

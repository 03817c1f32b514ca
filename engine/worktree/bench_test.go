package worktree

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkCreateRemove is the worktree cost of a workflow's life: created
// on `workflow new`, removed on delete. With 1 file it is mostly the ~20 git
// processes this package runs; with 200, git writing the checkout.
func BenchmarkCreateRemove(b *testing.B) {
	for _, files := range []int{1, 200} {
		b.Run(fmt.Sprintf("files=%d", files), func(b *testing.B) {
			repo := benchRepo(b, files)
			m := New(repo)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				id := fmt.Sprintf("w%d", i)
				i++
				if _, err := m.Create(ctx, id, ""); err != nil {
					b.Fatal(err)
				}
				if err := m.Remove(ctx, id, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIsClean is the check the loop makes after every session.
func BenchmarkIsClean(b *testing.B) {
	repo := benchRepo(b, 200)
	m := New(repo)
	ctx := context.Background()
	if _, err := m.Create(ctx, "w1", ""); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := m.IsClean(ctx, "w1"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRepo(b *testing.B, files int) string {
	dir := b.TempDir()
	gitB(b, dir, "init", "-q", "-b", "main")
	for i := 0; i < files; i++ {
		writeFileB(b, filepath.Join(dir, "src", fmt.Sprintf("f%03d.go", i)), fmt.Sprintf("package src\n\nconst F%d = %d\n", i, i))
	}
	gitB(b, dir, "add", ".")
	gitB(b, dir, "commit", "-q", "-m", "init")
	return dir
}

func gitB(b *testing.B, dir string, args ...string) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func writeFileB(b *testing.B, path, content string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
}

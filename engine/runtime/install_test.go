package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run the real npm against the real registry (served from npm's
// cache once the package has been fetched): only a temp home is theirs.

const badNPM = "/nonexistent/npm" // any npm run through this fails

// leftovers lists what an install may leave only while it runs.
func leftovers(t *testing.T, home string) []string {
	t.Helper()
	var found []string
	entries, err := os.ReadDir(home)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) || strings.HasPrefix(e.Name(), oldPrefix) {
			found = append(found, e.Name())
		}
	}
	return found
}

// processesMentioning lists live processes whose command line contains s:
// an npm or postinstall that outlived an interrupted install would show here.
func processesMentioning(t *testing.T, s string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(data, []byte(s)) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "stat"))
		if strings.Contains(string(stat), ") Z ") {
			continue
		}
		found = append(found, strings.ReplaceAll(string(data), "\x00", " "))
	}
	return found
}

// syncBuffer is a progress writer that two installs can share safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestInstall walks one home through a life: two concurrent first installs,
// an idempotent re-install, status, an interrupted upgrade, a failed one, and
// recovery from a crash in the middle of the swap. One real install (~400 MB
// from npm's cache) serves them all, so the steps run in order.
func TestInstall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	home := filepath.Join(t.TempDir(), "home") // does not exist yet: Install creates it
	m := Manager{Home: home}

	t.Run("first install, twice at once", func(t *testing.T) {
		var wg sync.WaitGroup
		recs := make([]*Installed, 2)
		errs := make([]error, 2)
		outs := make([]*syncBuffer, 2)
		for i := range 2 {
			outs[i] = &syncBuffer{}
			wg.Go(func() { recs[i], errs[i] = m.Install(ctx, DefaultVersion, outs[i]) })
		}
		wg.Wait()
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("install %d: %v\nprogress:\n%s", i, errs[i], outs[i])
			}
		}
		if recs[0].Already == recs[1].Already {
			t.Fatalf("Already = %v and %v: want exactly one install to run npm and the other to find its result", recs[0].Already, recs[1].Already)
		}
		fresh, out := recs[0], outs[0].String()
		if fresh.Already {
			fresh, out = recs[1], outs[1].String()
		}
		if !strings.Contains(out, "npm ") {
			t.Errorf("progress did not stream npm's output:\n%s", out)
		}
		if fresh.Version != DefaultVersion || fresh.Package != Package || fresh.Path != m.CLIPath() {
			t.Errorf("Install = %+v, want %s@%s at %s", fresh, Package, DefaultVersion, m.CLIPath())
		}
		if v, err := Version(ctx, m.CLIPath()); err != nil || v != DefaultVersion {
			t.Fatalf("the installed CLI reports %q, %v", v, err)
		}
		link, err := os.Readlink(m.CLIPath())
		if err != nil || filepath.IsAbs(link) {
			t.Errorf("the CLI should be a relative symlink (so the folder can move): %q, %v", link, err)
		}
		var rec Installed
		data, err := os.ReadFile(filepath.Join(m.Dir(), "installed.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatalf("installed.json: %v", err)
		}
		if rec.Version != DefaultVersion || rec.Path != m.CLIPath() || time.Since(rec.InstalledAt) > 10*time.Minute {
			t.Errorf("installed.json = %s", data)
		}
		if l := leftovers(t, home); len(l) > 0 {
			t.Errorf("left behind: %v", l)
		}
	})

	t.Run("again is a no-op without npm", func(t *testing.T) {
		// What a kill -9 during an earlier upgrade leaves: swept even
		// when there is nothing to install.
		if err := os.MkdirAll(filepath.Join(home, tmpPrefix+"789", "node_modules"), 0o755); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		start := time.Now()
		rec, err := Manager{Home: home, NPM: badNPM}.Install(ctx, DefaultVersion, &out)
		if err != nil {
			t.Fatalf("Install: %v", err)
		}
		if !rec.Already || rec.Version != DefaultVersion {
			t.Fatalf("Install = %+v, want Already at %s", rec, DefaultVersion)
		}
		if !strings.Contains(out.String(), "already installed") {
			t.Errorf("progress does not say so: %q", out.String())
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v", d)
		}
		if l := leftovers(t, home); len(l) > 0 {
			t.Errorf("left behind: %v", l)
		}
	})

	t.Run("status", func(t *testing.T) {
		st, err := m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Installed || st.Version != DefaultVersion || st.DefaultVersion != DefaultVersion || st.Path != m.CLIPath() || st.InstalledAt.IsZero() || st.Problem != "" {
			t.Fatalf("Status = %+v", st)
		}
	})

	t.Run("interrupted upgrade keeps the runtime", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		// Cancel once npm is writing packages into the temp folder, the
		// moment a Ctrl-C hurts most.
		midway := make(chan bool, 1)
		go func() {
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if m, _ := filepath.Glob(filepath.Join(home, tmpPrefix+"*", "node_modules", "@anthropic-ai", "*")); len(m) > 0 {
					time.Sleep(200 * time.Millisecond)
					midway <- true
					cancel()
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			midway <- false
			cancel()
		}()
		_, err := m.Install(ctx, "2.1.330", nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Install error = %v, want it to wrap context.Canceled", err)
		}
		if !<-midway {
			t.Fatal("npm never started writing packages into the temp folder")
		}
		assertRuntime(t, m, DefaultVersion)
		if l := leftovers(t, home); len(l) > 0 {
			t.Errorf("left behind: %v", l)
		}
		if p := processesMentioning(t, home); len(p) > 0 {
			t.Errorf("processes outlived the interrupted install: %q", p)
		}
	})

	t.Run("failed upgrade keeps the runtime", func(t *testing.T) {
		_, err := m.Install(ctx, "0.0.0-does-not-exist", nil)
		if err == nil {
			t.Fatal("Install of a version that does not exist succeeded")
		}
		for _, want := range []string{"No matching version", "hint:", "npm view " + Package + " versions"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not mention %q:\n%v", want, err)
			}
		}
		assertRuntime(t, m, DefaultVersion)
		if l := leftovers(t, home); len(l) > 0 {
			t.Errorf("left behind: %v", l)
		}
	})

	t.Run("crash between the two renames", func(t *testing.T) {
		// The state a kill -9 leaves after the old runtime was moved aside
		// and before the new one took its place.
		aside := filepath.Join(home, oldPrefix+"123")
		if err := os.Rename(m.Dir(), aside); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(home, tmpPrefix+"456", "node_modules"), 0o755); err != nil {
			t.Fatal(err)
		}
		if st, err := m.Status(ctx); err != nil || st.Installed {
			t.Fatalf("Status with the runtime moved aside = %+v, %v; want not installed", st, err)
		}
		var out bytes.Buffer
		rec, err := Manager{Home: home, NPM: badNPM}.Install(ctx, DefaultVersion, &out)
		if err != nil {
			t.Fatalf("Install: %v\n%s", err, out.String())
		}
		if !rec.Already {
			t.Errorf("Install = %+v, want the restored runtime found in place", rec)
		}
		if !strings.Contains(out.String(), "restoring the previous runtime") {
			t.Errorf("progress does not say it restored the runtime: %q", out.String())
		}
		assertRuntime(t, m, DefaultVersion)
		if l := leftovers(t, home); len(l) > 0 {
			t.Errorf("left behind: %v", l)
		}
	})
}

func assertRuntime(t *testing.T, m Manager, version string) {
	t.Helper()
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Installed || st.Version != version {
		t.Fatalf("runtime = %+v, want %s installed and running", st, version)
	}
}

func TestInstallFailsCleanly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		npm     string
		version string
		want    []string
	}{
		{name: "version not on the registry", version: "0.0.0-does-not-exist",
			want: []string{"npm failed", "ETARGET", "hint:"}},
		{name: "npm missing", npm: badNPM, version: DefaultVersion,
			want: []string{badNPM, "Node.js"}},
		{name: "dist-tag refused before npm runs", npm: badNPM, version: "latest",
			want: []string{`"latest" is not an exact version`}},
		{name: "flag-like version refused", npm: badNPM, version: "--registry=http://127.0.0.1:1",
			want: []string{"not an exact version"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			home := t.TempDir()
			_, err := Manager{Home: home, NPM: tc.npm}.Install(context.Background(), tc.version, nil)
			if err == nil {
				t.Fatal("Install succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if _, err := os.Stat(filepath.Join(home, "runtime")); !os.IsNotExist(err) {
				t.Errorf("a runtime folder exists after a failed install (%v)", err)
			}
			if l := leftovers(t, home); len(l) > 0 {
				t.Errorf("left behind: %v", l)
			}
		})
	}
}

func TestSwapIn(t *testing.T) {
	t.Parallel()
	write := func(dir, content string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "marker"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, previous := range []bool{false, true} {
		home := t.TempDir()
		m := Manager{Home: home}
		if previous {
			write(m.Dir(), "old")
		}
		tmp := filepath.Join(home, tmpPrefix+"1")
		write(tmp, "new")
		if err := m.swapIn(tmp, nil); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(m.Dir(), "marker"))
		if err != nil || string(got) != "new" {
			t.Fatalf("previous=%v: runtime holds %q, %v; want the new one", previous, got, err)
		}
		if l := leftovers(t, home); len(l) > 0 {
			t.Errorf("previous=%v: left behind: %v", previous, l)
		}
	}
}

func TestStatusNotInstalled(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	m := Manager{Home: home}
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Installed || st.Problem != "" || st.Path != m.CLIPath() || st.DefaultVersion != DefaultVersion {
		t.Fatalf("Status of an empty home = %+v", st)
	}
	// A runtime folder whose CLI is broken is reported, not hidden.
	writeExe(t, m.CLIPath(), "echo 'Illegal instruction' >&2; exit 132", 0o755)
	st, err = m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Installed || !strings.Contains(st.Problem, "Illegal instruction") || !strings.Contains(st.Problem, "autonomous runtime install") {
		t.Fatalf("Status of a broken runtime = %+v", st)
	}
}

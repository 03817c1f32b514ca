package workflow

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/autonomous-coding/autonomous/engine/fsutil"
)

// Dir is the engine's folder in the repository root.
const Dir = ".autonomous"

var (
	// ErrNotFound means no workflow file exists for the id.
	ErrNotFound = errors.New("workflow not found")
	// ErrExists means Create found a workflow with the same id.
	ErrExists = errors.New("workflow already exists")
	// ErrNewerVersion means the file was written by a newer build of autonomous.
	ErrNewerVersion = errors.New("written by a newer version of autonomous; upgrade autonomous to use it")
)

// Store keeps workflows in <root>/.autonomous/workflows/<id>.yaml.
//
// Writes from one Store are serialised, so concurrent Updates in a process
// never lose each other's changes. Across processes, the per-workflow Lock
// is what keeps two drivers apart; readers are always safe because every
// write replaces the file atomically.
type Store struct {
	root  string
	mu    sync.Mutex // held across each read-modify-write
	cache *parseCache
}

// NewStore returns the store of the repository at root. It touches nothing
// on disk; see EnsureLayout.
func NewStore(root string) *Store { return &Store{root: root, cache: newParseCache()} }

// Root is the repository root the store was opened on.
func (s *Store) Root() string { return s.root }

// Path is where the workflow with this id is (or would be) recorded.
func (s *Store) Path(id string) string {
	return filepath.Join(s.root, Dir, "workflows", id+".yaml")
}

// FileError is a workflow file that could not be read or understood. Line
// is 1-based, 0 when the problem is not tied to a line.
type FileError struct {
	Path string
	Line int
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("workflow file %s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("workflow file %s: %v", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Create records a new workflow. It fills in what a new record needs (format
// version, pending status, creation time) and fails with ErrExists if the id
// is taken. w is updated to what was written.
func (s *Store) Create(w *Workflow) error {
	if err := ValidateID(w.ID); err != nil {
		return fmt.Errorf("create workflow: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.Path(w.ID)
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("create workflow %s: %w (%s)", w.ID, ErrExists, path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("create workflow %s: %w", w.ID, err)
	}
	if w.Status == "" {
		w.Status = Pending
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = time.Now()
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = w.CreatedAt
	}
	if err := s.write(w); err != nil {
		return fmt.Errorf("create workflow %s: %w", w.ID, err)
	}
	return nil
}

// Get reads a workflow. A missing one is ErrNotFound; a file that cannot be
// read or parsed is a *FileError.
func (s *Store) Get(id string) (*Workflow, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	return s.read(id)
}

// Update applies fn to the workflow and writes the result, holding the
// store's write lock throughout so no concurrent change in this process is
// lost. If fn returns an error, that error is returned as is and nothing is
// written. UpdatedAt is set to now unless fn set it itself (Transition does,
// with the caller's clock). A file that cannot be read is never overwritten.
func (s *Store) Update(id string, fn func(*Workflow) error) (*Workflow, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w, err := s.read(id)
	if err != nil {
		return nil, err
	}
	before := w.UpdatedAt
	if err := fn(w); err != nil {
		return nil, err
	}
	if w.ID != id {
		return nil, fmt.Errorf("update workflow %s: the update changed the id to %q; ids never change", id, w.ID)
	}
	if w.UpdatedAt.Equal(before) {
		w.UpdatedAt = time.Now()
	}
	if err := s.write(w); err != nil {
		return nil, fmt.Errorf("update workflow %s: %w", id, err)
	}
	return w, nil
}

// Save writes w over its existing record. The record must exist and be
// readable: Save never creates a workflow (Create does) and never replaces
// a file it cannot read. UpdatedAt is set as in Update.
func (s *Store) Save(w *Workflow) error {
	if err := ValidateID(w.ID); err != nil {
		return fmt.Errorf("save workflow: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.read(w.ID)
	if err != nil {
		return fmt.Errorf("save workflow %s: %w", w.ID, err)
	}
	if !w.UpdatedAt.After(old.UpdatedAt) {
		w.UpdatedAt = time.Now()
	}
	if err := s.write(w); err != nil {
		return fmt.Errorf("save workflow %s: %w", w.ID, err)
	}
	return nil
}

// Delete removes a workflow's record (only the record: its worktree, logs
// and branch are the caller's business).
func (s *Store) Delete(id string) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.Path(id))
	s.cache.drop(id)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete workflow %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete workflow %s: %w", id, err)
	}
	return nil
}

// List returns every readable workflow, oldest first, and a FileError for
// each file that could not be read or understood: one bad file never hides
// the others.
func (s *Store) List() ([]*Workflow, []*FileError) {
	dir := filepath.Dir(s.Path("x"))
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []*FileError{{Path: dir, Err: err}}
	}
	var (
		wfs  []*Workflow
		bad  []*FileError
		seen = map[string]bool{}
	)
	defer s.cache.keep(seen)
	for _, e := range entries {
		name := e.Name()
		// Hidden files are fsutil's temporary files (or editors' swap files).
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		id := strings.TrimSuffix(name, ".yaml")
		path := filepath.Join(dir, name)
		if err := ValidateID(id); err != nil {
			bad = append(bad, &FileError{Path: path, Err: fmt.Errorf("the file name is not a workflow id: %w", err)})
			continue
		}
		seen[id] = true
		w, err := s.read(id)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since the directory was read
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				fe = &FileError{Path: path, Err: err}
			}
			bad = append(bad, fe)
			continue
		}
		wfs = append(wfs, w)
	}
	slices.SortFunc(wfs, func(a, b *Workflow) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return wfs, bad
}

// read loads and parses one workflow file.
func (s *Store) read(id string) (*Workflow, error) {
	path := s.Path(id)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("workflow %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	sum := s.cache.sum(data)
	if w := s.cache.get(id, sum); w != nil {
		return w, nil
	}
	w, err := Parse(data)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			fe.Path = path
			return nil, fe
		}
		return nil, &FileError{Path: path, Err: err}
	}
	if w.ID != id {
		return nil, &FileError{Path: path, Line: keyLine(data, "id"),
			Err: fmt.Errorf("the file records workflow id %q but is named for %q; the two must match", w.ID, id)}
	}
	s.cache.put(id, sum, w)
	return w, nil
}

func (s *Store) write(w *Workflow) error {
	w.Version = FormatVersion
	if w.Sessions == nil {
		w.Sessions = []Session{} // so JSON readers get [] rather than null
	}
	data, err := Marshal(w)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(s.Path(w.ID), data, 0o644)
}

// Marshal encodes a workflow in the file format.
func Marshal(w *Workflow) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("encode workflow %s: %w", w.ID, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode workflow %s: %w", w.ID, err)
	}
	return buf.Bytes(), nil
}

// Parse decodes a workflow file. Unknown keys are errors, so a record is
// never silently trimmed by a read-modify-write; errors are *FileError with
// the line (Path left empty for the caller to fill in).
func Parse(data []byte) (*Workflow, error) {
	var w Workflow
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FileError{Err: errors.New("the file is empty")}
		}
		// A newer format may well have keys this build does not know; say
		// so rather than complain about the keys.
		if v, line := peekVersion(data); v > FormatVersion {
			return nil, newerError(v, line)
		}
		return nil, &FileError{Line: errorLine(data, err), Err: err}
	}
	switch {
	case w.Version > FormatVersion:
		return nil, newerError(w.Version, keyLine(data, "version"))
	case w.Version < 1:
		return nil, &FileError{Line: keyLine(data, "version"),
			Err: fmt.Errorf("version is missing or not positive (this build writes version %d)", FormatVersion)}
	case w.Status == "":
		return nil, &FileError{Line: keyLine(data, "status"), Err: fmt.Errorf("status is missing (want one of %v)", Statuses())}
	}
	if w.Sessions == nil {
		w.Sessions = []Session{}
	}
	return &w, nil
}

func newerError(v, line int) error {
	return &FileError{Line: line, Err: fmt.Errorf("format version %d (this build reads up to %d): %w", v, FormatVersion, ErrNewerVersion)}
}

// peekVersion reads only the version key, leniently.
func peekVersion(data []byte) (version, line int) {
	var head struct {
		Version int `yaml:"version"`
	}
	if yaml.Unmarshal(data, &head) != nil {
		return 0, 0
	}
	return head.Version, keyLine(data, "version")
}

// keyLine is the 1-based line of a top-level key, 0 if not found.
func keyLine(data []byte, key string) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

// yaml.v3 reports positions only inside its messages ("yaml: line 3: ...",
// "line 7: cannot unmarshal ..."); the first one is the line to show.
var yamlLineRE = regexp.MustCompile(`line (\d+): ([^\n]*)`)

// errorLine finds the 1-based line a YAML decoding error is about, 0 if it
// cannot tell.
func errorLine(data []byte, err error) int {
	msg := err.Error()
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return quotedValueLine(data, msg)
	}
	n, _ := strconv.Atoi(m[1])
	// yaml.v3 counts from 0 in its parser's errors (these, exactly) and from
	// 1 in its scanner's and the decoder's.
	switch m[2] {
	case "did not find expected ',' or ']'", "did not find expected ',' or '}'",
		"did not find expected '-' indicator", "did not find expected <document start>",
		"did not find expected <stream-start>", "did not find expected key",
		"did not find expected node content", "found duplicate %TAG directive",
		"found duplicate %YAML directive", "found incompatible YAML document",
		"found undefined tag handle":
		if strings.HasPrefix(msg, "yaml: line ") {
			n++
		}
	}
	return n
}

// quotedValueLine handles errors yaml.v3 passes through without a position,
// such as `parsing time "yesterday" as ...`: the line of the first scalar
// whose value is the first quoted string in the message.
func quotedValueLine(data []byte, msg string) int {
	i := strings.IndexByte(msg, '"')
	if i < 0 {
		return 0
	}
	value, err := strconv.QuotedPrefix(msg[i:])
	if err != nil {
		return 0
	}
	value, _ = strconv.Unquote(value)
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return 0
	}
	var find func(n *yaml.Node) int
	find = func(n *yaml.Node) int {
		if n.Kind == yaml.ScalarNode && n.Value == value {
			return n.Line
		}
		for _, c := range n.Content {
			if l := find(c); l > 0 {
				return l
			}
		}
		return 0
	}
	return find(&doc)
}

// gitignoreLines are what EnsureLayout keeps out of the user's commits: the
// engine's private, per-machine state. config.yaml and prompts/ are left
// alone on purpose; a team may want to share them. The .gitignore ignores
// itself too, so that the user's `git status` stays clean until they add
// something worth committing.
func gitignoreLines() []string {
	return []string{".gitignore", "workflows/", "logs/", "worktrees/", "locks/", "state/", "*.tmp-*"}
}

// EnsureLayout creates .autonomous/ and its .gitignore. An existing
// .gitignore keeps its content; lines it lacks are appended.
func (s *Store) EnsureLayout() error {
	dir := filepath.Join(s.root, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	path := filepath.Join(dir, ".gitignore")
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(old), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var missing []string
	for _, l := range gitignoreLines() {
		if !have[l] {
			missing = append(missing, l)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var b bytes.Buffer
	b.Write(old)
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		b.WriteByte('\n')
	}
	if len(old) == 0 {
		b.WriteString("# Private state of autonomous, kept out of commits. config.yaml and\n# prompts/ are not listed: they may be shared with the team.\n")
	}
	for _, l := range missing {
		b.WriteString(l + "\n")
	}
	if err := fsutil.WriteFileAtomic(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

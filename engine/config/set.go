package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/autonomous-coding/autonomous/engine/fsutil"
	"gopkg.in/yaml.v3"
)

// Set changes one dotted key (defaults.model, defaults.budgetUsd,
// mcp.playwright.enabled, security.allow, ...) in the config file at path,
// creating the file when it does not exist. A nil value removes the key, so
// the value of the layer below applies again.
//
// The value may be of the key's Go type, or a string: a string is taken as
// it is for a text key and read as YAML for any other ("true", "5", "3s",
// "[make, go]"). The file is edited in place: its comments and other keys
// stay. The result is checked as Load would check it (for a project file,
// over the global one of Home()); when it is not valid, nothing is written.
func Set(path, key string, value any) error {
	if err := set(path, key, value); err != nil {
		return fmt.Errorf("set %s in %s: %w", key, path, err)
	}
	return nil
}

func set(path, key string, value any) error {
	target, err := keyType(key)
	if err != nil {
		return err
	}
	original, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	doc, err := parse(path, original)
	if err != nil {
		return err
	}
	migrated := false
	if doc == nil {
		doc = &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
		add(doc.Content[0], scalarNode("version"), &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(CurrentVersion)})
		if len(original) > 0 {
			// A file of only comments: keep them.
			var comments yaml.Node
			if yaml.Unmarshal(original, &comments) == nil {
				doc.HeadComment = comments.HeadComment
			}
		}
	} else {
		version, err := fileVersion(path, doc)
		if err != nil {
			return err
		}
		if version == 1 {
			if doc, err = migrateV1(path, doc); err != nil {
				return err
			}
			migrated = true
		}
	}

	var valueNode *yaml.Node
	if value != nil {
		if valueNode, err = toNode(value, target); err != nil {
			return err
		}
	}
	setNode(doc.Content[0], strings.Split(key, "."), valueNode)

	data, err := encode(doc)
	if err != nil {
		return err
	}
	if err := checkFile(path, data); err != nil {
		return err
	}
	if migrated {
		_, err := writeMigrated(path, original, doc)
		return err
	}
	return fsutil.WriteFileAtomic(path, data, fileMode(path, 0o644))
}

// keyType returns the Go type of a dotted key of Config, refusing unknown
// keys and whole sections.
func keyType(key string) (reflect.Type, error) {
	t := reflect.TypeOf(Config{})
	done := ""
	for _, name := range strings.Split(key, ".") {
		if t.Kind() != reflect.Struct || isLeaf(t) {
			return nil, fmt.Errorf("%s is a single value: it has no key %q", done, name)
		}
		fields := yamlFields(t)
		f, ok := fields[name]
		if !ok {
			where := "at the top"
			if done != "" {
				where = "in " + done
			}
			return nil, fmt.Errorf("unknown key %q%s; the keys %s are: %s", name, suggest(name, fields), where, strings.Join(sortedKeys(fields), ", "))
		}
		t, done = f.Type, join(done, name)
	}
	if t.Kind() == reflect.Struct && !isLeaf(t) {
		return nil, fmt.Errorf("%s is a section: set one of its keys: %s", key, strings.Join(sortedKeys(yamlFields(t)), ", "))
	}
	if key == "version" {
		return nil, errors.New("the version is managed by autonomous")
	}
	return t, nil
}

func isLeaf(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem())
}

// toNode turns a value given to Set into the YAML node to write.
func toNode(value any, target reflect.Type) (*yaml.Node, error) {
	switch v := value.(type) {
	case time.Duration:
		value = v.String()
	case Duration:
		value = v.String()
	case string:
		if target.Kind() != reflect.String && !isLeaf(target) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(v), &doc); err != nil {
				return nil, fmt.Errorf("read value %q: %v", v, err)
			}
			if len(doc.Content) == 0 {
				return nil, fmt.Errorf("empty value: give one, or remove the key")
			}
			n := doc.Content[0]
			n.Line, n.Column = 0, 0
			return n, nil
		}
	}
	var n yaml.Node
	if err := n.Encode(value); err != nil {
		return nil, fmt.Errorf("write value %v: %v", value, err)
	}
	return &n, nil
}

// setNode puts value at path under mapping, creating sections on the way;
// a nil value removes the key. The replaced value's comments stay.
func setNode(mapping *yaml.Node, path []string, value *yaml.Node) {
	name := path[0]
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value != name {
			continue
		}
		old := mapping.Content[i+1]
		if len(path) > 1 {
			if old.Kind != yaml.MappingNode {
				// Not a section (empty, or of the wrong type): it becomes one.
				old.Kind, old.Tag, old.Value, old.Content, old.Style = yaml.MappingNode, "", "", nil, 0
			}
			setNode(old, path[1:], value)
			return
		}
		if value == nil {
			mapping.Content = append(mapping.Content[:i], mapping.Content[i+2:]...)
			return
		}
		if value.HeadComment == "" && value.LineComment == "" && value.FootComment == "" {
			value.HeadComment, value.LineComment, value.FootComment = old.HeadComment, old.LineComment, old.FootComment
		}
		mapping.Content[i+1] = value
		return
	}
	if value == nil {
		return // nothing to remove
	}
	if len(path) > 1 {
		section := &yaml.Node{Kind: yaml.MappingNode}
		add(mapping, scalarNode(name), section)
		setNode(section, path[1:], value)
		return
	}
	add(mapping, scalarNode(name), value)
}

// checkFile checks data, the new content of path, as Load would: over the
// built-in defaults and, for a project file, over the global file.
func checkFile(path string, data []byte) error {
	c := Default()
	d := newDecoder()
	if filepath.Base(filepath.Dir(path)) == ".autonomous" {
		// A project file may rely on the global one (a model defined there).
		// A global file with problems of its own is left out: they are not
		// this change's to report.
		global := GlobalFile(Home())
		if gdata, err := os.ReadFile(global); err == nil && !samePath(global, path) {
			gc, gd := Default(), newDecoder()
			if _, err := gd.layer(gc, global, gdata, false); err == nil && len(gd.errs) == 0 {
				c, d = gc, gd
			}
		}
	}
	if _, err := d.layer(c, path, data, false); err != nil {
		return err
	}
	return d.finish(c)
}

func samePath(a, b string) bool {
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(ai, bi)
}

package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"
)

// Load returns the configuration in force for the project at projectRoot:
// built-in defaults, then the global file in home (default Home()), then the
// project's .autonomous/config.yaml (skipped when projectRoot is ""). Missing
// files are skipped. A file in an older format is migrated, with a backup of
// the original next to it, and the migration is listed in Notices.
//
// Every problem found is reported, each as an *Error naming file, line and
// key, joined into one error.
func Load(home, projectRoot string) (*Config, error) {
	if home == "" {
		home = Home()
	}
	files := []string{GlobalFile(home)}
	if projectRoot != "" {
		files = append(files, ProjectFile(projectRoot))
	}
	c := Default()
	d := newDecoder()
	for _, file := range files {
		data, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		notice, err := d.layer(c, file, data, true)
		if err != nil {
			return nil, err
		}
		c.Files = append(c.Files, file)
		if notice != "" {
			c.Notices = append(c.Notices, notice)
		}
	}
	if err := d.finish(c); err != nil {
		return nil, err
	}
	return c, nil
}

// layer lays one file over c. Problems in the file's content are collected
// in d; the error returned is for what stops the loading (an unreadable or
// unparseable file, a failed migration). With migrate set, a version 1 file
// is rewritten in the current format, and the notice says so.
func (d *decoder) layer(c *Config, file string, data []byte, migrate bool) (notice string, err error) {
	doc, err := parse(file, data)
	if err != nil || doc == nil {
		return "", err
	}
	version, err := fileVersion(file, doc)
	if err != nil {
		return "", err
	}
	if version == 1 {
		if !migrate {
			return "", &Error{File: file, Msg: "a version 1 file: load it once to migrate it"}
		}
		if doc, err = migrateV1(file, doc); err != nil {
			return "", err
		}
		backup, err := writeMigrated(file, data, doc)
		if err != nil {
			return "", err
		}
		notice = fmt.Sprintf("migrated %s from version 1 to version %d; the original is kept in %s", file, CurrentVersion, backup)
		// Lines in later messages are those of the file as it is now.
		if data, err = os.ReadFile(file); err != nil {
			return "", fmt.Errorf("read migrated config: %w", err)
		}
		if doc, err = parse(file, data); err != nil || doc == nil {
			return "", err
		}
	}
	d.file = file
	d.overlay(doc, reflect.ValueOf(c).Elem(), "", "")
	return notice, nil
}

// finish checks the merged configuration and reports every problem found on
// the way.
func (d *decoder) finish(c *Config) error {
	if len(d.errs) == 0 {
		normalize(c)
		d.errs = validate(c, d.where)
	}
	c.Version = CurrentVersion
	switch len(d.errs) {
	case 0:
		return nil
	case 1:
		return d.errs[0]
	}
	return errors.Join(d.errs...)
}

// fileVersion reads the version key; a file without one is taken to be in
// the current format, so a project file can be as short as one setting.
func fileVersion(file string, doc *yaml.Node) (int, error) {
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return 0, &Error{File: file, Line: root.Line, Msg: fmt.Sprintf("want a section of keys (key: value) at the top, got %s", describe(root))}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "version" {
			continue
		}
		vn := root.Content[i+1]
		var v int
		if vn.Kind != yaml.ScalarNode || vn.Decode(&v) != nil {
			return 0, &Error{File: file, Line: vn.Line, Key: "version", Msg: fmt.Sprintf("want a whole number, got %s", describe(vn))}
		}
		switch {
		case v > CurrentVersion:
			return 0, &Error{File: file, Line: vn.Line, Key: "version", Msg: fmt.Sprintf("version %d is newer than this autonomous understands (%d): upgrade autonomous", v, CurrentVersion)}
		case v < 1:
			return 0, &Error{File: file, Line: vn.Line, Key: "version", Msg: fmt.Sprintf("there is no version %d: the versions are 1 to %d", v, CurrentVersion)}
		}
		return v, nil
	}
	return CurrentVersion, nil
}

// normalize fills in what the files may leave implicit.
func normalize(c *Config) {
	for i := range c.Models {
		if c.Models[i].Label == "" {
			c.Models[i].Label = c.Models[i].ID
		}
	}
	for i := range c.MCP.Servers {
		s := &c.MCP.Servers[i]
		if s.Type == "" {
			switch {
			case s.URL != "" && s.Command == "":
				s.Type = ServerHTTP
			default:
				s.Type = ServerStdio
			}
		}
	}
}

package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"reflect"
	"strconv"

	"github.com/autonomous-coding/autonomous/engine/fsutil"
	"gopkg.in/yaml.v3"
)

// configV1 is the version 1 format: one flat section, prices keyed by model
// id (input and output only), and allowedCommands.
type configV1 struct {
	Version         int                `yaml:"version"`
	Model           string             `yaml:"model"`
	MaxSessions     int                `yaml:"maxSessions"`
	Budget          float64            `yaml:"budget"`
	Prices          map[string]priceV1 `yaml:"prices"`
	AllowedCommands []string           `yaml:"allowedCommands"`
}

type priceV1 struct {
	Input  float64 `yaml:"input"`
	Output float64 `yaml:"output"`
}

// Version 1 had no cache prices. Anthropic bills a 5-minute cache write at
// 1.25 times the input price and a cache read at 0.1 times.
const (
	cacheWriteFactor = 1.25
	cacheReadFactor  = 0.1
)

// migrateV1 turns a version 1 document into the current format, keeping the
// user's comments on the keys that carry over. It checks the old file as
// strictly as Load checks a current one.
func migrateV1(file string, doc *yaml.Node) (*yaml.Node, error) {
	d := newDecoder()
	d.file = file
	var old configV1
	d.overlay(doc, reflect.ValueOf(&old).Elem(), "", "")
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	src := doc.Content[0]
	at := func(key string) (k, v *yaml.Node) {
		for i := 0; i+1 < len(src.Content); i += 2 {
			if src.Content[i].Value == key {
				return src.Content[i], src.Content[i+1]
			}
		}
		return nil, nil
	}

	root := &yaml.Node{Kind: yaml.MappingNode}
	versionKey, _ := at("version")
	add(root, carry(scalarNode("version"), versionKey), &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(CurrentVersion)})

	if pk, pv := at("prices"); pv != nil && pv.Kind == yaml.MappingNode {
		models := &yaml.Node{Kind: yaml.SequenceNode}
		for i := 0; i+1 < len(pv.Content); i += 2 {
			id := pv.Content[i].Value
			p := old.Prices[id]
			prices := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			add(prices, scalarNode("input"), number(p.Input))
			add(prices, scalarNode("output"), number(p.Output))
			add(prices, scalarNode("cacheWrite"), number(p.Input*cacheWriteFactor))
			add(prices, scalarNode("cacheRead"), number(p.Input*cacheReadFactor))
			entry := &yaml.Node{Kind: yaml.MappingNode}
			add(entry, carry(scalarNode("id"), pv.Content[i]), scalarNode(id))
			add(entry, scalarNode("prices"), prices)
			models.Content = append(models.Content, entry)
		}
		mk := carry(scalarNode("models"), pk)
		mk.HeadComment = joinComments(mk.HeadComment, "# Prices in USD per million tokens. Version 1 had no cache prices: they were\n# set from the input price (cache write x1.25, cache read x0.1).")
		add(root, mk, models)
	}

	defaults := &yaml.Node{Kind: yaml.MappingNode}
	for _, kv := range [][2]string{{"model", "model"}, {"maxSessions", "maxSessions"}, {"budget", "budgetUsd"}} {
		if k, v := at(kv[0]); k != nil {
			add(defaults, carry(scalarNode(kv[1]), k), v)
		}
	}
	if len(defaults.Content) > 0 {
		add(root, scalarNode("defaults"), defaults)
	}

	if k, v := at("allowedCommands"); k != nil {
		security := &yaml.Node{Kind: yaml.MappingNode}
		add(security, carry(scalarNode("allow"), k), v)
		add(root, scalarNode("security"), security)
	}

	out := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	out.HeadComment = joinComments(doc.HeadComment, "# Migrated from version 1 by autonomous; the original is kept next to this file.")
	out.FootComment = doc.FootComment
	return out, nil
}

// writeMigrated keeps the original next to file (config.yaml.v1.bak, or the
// first free config.yaml.v1.bak.N: an older backup is never overwritten),
// then replaces file with doc. Both writes are atomic.
func writeMigrated(file string, original []byte, doc *yaml.Node) (backup string, err error) {
	data, err := encode(doc)
	if err != nil {
		return "", fmt.Errorf("migrate %s: %w", file, err)
	}
	perm := fileMode(file, 0o644)
	backup = file + ".v1.bak"
	for n := 2; ; n++ {
		prev, err := os.ReadFile(backup)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && bytes.Equal(prev, original)) {
			break
		}
		backup = fmt.Sprintf("%s.v1.bak.%d", file, n)
	}
	if err := fsutil.WriteFileAtomic(backup, original, perm); err != nil {
		return "", fmt.Errorf("migrate %s: keep the original: %w", file, err)
	}
	if err := fsutil.WriteFileAtomic(file, data, perm); err != nil {
		return "", fmt.Errorf("migrate %s (the original is kept in %s): %w", file, backup, err)
	}
	return backup, nil
}

func encode(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fileMode is the permission of file, or def when it does not exist yet.
func fileMode(file string, def fs.FileMode) fs.FileMode {
	if fi, err := os.Stat(file); err == nil {
		return fi.Mode().Perm()
	}
	return def
}

func add(mapping, key, value *yaml.Node) {
	mapping.Content = append(mapping.Content, key, value)
}

func scalarNode(value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
}

func number(f float64) *yaml.Node {
	// Rounded so that 3 x 0.1 is written 0.3, not 0.30000000000000004.
	f = math.Round(f*1e6) / 1e6
	return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(f, 'f', -1, 64)}
}

// carry gives key the comments of the key it replaces.
func carry(key, from *yaml.Node) *yaml.Node {
	if from != nil {
		key.HeadComment, key.LineComment, key.FootComment = from.HeadComment, from.LineComment, from.FootComment
	}
	return key
}

func joinComments(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

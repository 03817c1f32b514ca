package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a problem in a config file.
type Error struct {
	File string // the file, or "built-in defaults"
	Line int    // 1-based; 0 when not known
	Key  string // dotted key, such as defaults.budgetUsd; empty for the file as a whole
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// position is where a key was last set.
type position struct {
	file string
	line int
}

const builtIn = "built-in defaults"

// decoder lays config files over a Config, one after the other, checking
// every key and value on the way and remembering where each key was set, so
// that later checks can name the file and line to fix.
type decoder struct {
	file  string
	where map[string]position
	errs  []error
}

func newDecoder() *decoder { return &decoder{where: map[string]position{}} }

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// parse reads a YAML document, turning yaml's "yaml: line N: ..." into an
// Error naming the file.
func parse(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil // an empty file, or only comments
	}
	return &doc, nil
}

func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, tail
			}
		}
	}
	return &Error{File: file, Line: line, Msg: msg}
}

// overlay lays the value of node over dst, field by field.
func (d *decoder) overlay(node *yaml.Node, dst reflect.Value, key string, merge string) {
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return
		}
		node = node.Content[0]
	}
	if node.Kind == yaml.AliasNode {
		d.fail(node, key, "anchors and aliases (*name) are not supported in config files: write the value out")
		return
	}
	d.where[key] = position{d.file, node.Line}
	if node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null" {
		// "key:" with nothing after it leaves the value as the layers below set it.
		return
	}

	if _, ok := dst.Addr().Interface().(yaml.Unmarshaler); ok {
		d.leaf(node, dst, key)
		return
	}
	switch dst.Kind() {
	case reflect.Struct:
		d.overlayStruct(node, dst, key)
	case reflect.Slice:
		d.overlaySlice(node, dst, key, merge)
	case reflect.Map:
		d.overlayMap(node, dst, key)
	default:
		d.leaf(node, dst, key)
	}
}

func (d *decoder) overlayStruct(node *yaml.Node, dst reflect.Value, key string) {
	if node.Kind != yaml.MappingNode {
		d.fail(node, key, "want a section of keys (key: value), got %s", describe(node))
		return
	}
	fields := yamlFields(dst.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		kn, vn := node.Content[i], node.Content[i+1]
		name := kn.Value
		sub := join(key, keyPart(name))
		if kn.Kind != yaml.ScalarNode {
			d.fail(kn, key, "a key must be a plain name, got %s", describe(kn))
			continue
		}
		if name == "<<" {
			d.fail(kn, key, "merge keys (<<) are not supported in config files: write the keys out")
			continue
		}
		if first, dup := seen[name]; dup {
			d.fail(kn, sub, "set twice (first on line %d): keep one", first)
			continue
		}
		seen[name] = kn.Line
		f, ok := fields[name]
		if !ok {
			d.fail(kn, sub, "unknown key%s; the keys here are: %s", suggest(name, fields), strings.Join(sortedKeys(fields), ", "))
			continue
		}
		d.overlay(vn, dst.FieldByIndex(f.Index), sub, f.Tag.Get("merge"))
	}
}

func (d *decoder) overlaySlice(node *yaml.Node, dst reflect.Value, key, merge string) {
	if node.Kind != yaml.SequenceNode {
		if merge == "append" && node.Kind == yaml.ScalarNode {
			// A single name where a list is expected: take it as a list of one.
			node = &yaml.Node{Kind: yaml.SequenceNode, Line: node.Line, Column: node.Column, Content: []*yaml.Node{node}}
		} else {
			d.fail(node, key, "want a list, got %s", describe(node))
			return
		}
	}
	elem := dst.Type().Elem()
	switch merge {
	case "id", "name":
		d.mergeByKey(node, dst, key, merge)
	case "append":
		for i, en := range node.Content {
			v := reflect.New(elem).Elem()
			d.overlay(en, v, fmt.Sprintf("%s[%d]", key, i), "")
			if !containsValue(dst, v) {
				dst.Set(reflect.Append(dst, v))
			}
		}
	default:
		out := reflect.MakeSlice(dst.Type(), 0, len(node.Content))
		for i, en := range node.Content {
			v := reflect.New(elem).Elem()
			d.overlay(en, v, fmt.Sprintf("%s[%d]", key, i), "")
			out = reflect.Append(out, v)
		}
		dst.Set(out)
	}
}

// mergeByKey lays each entry over the entry of dst with the same id (or
// name), or appends it.
func (d *decoder) mergeByKey(node *yaml.Node, dst reflect.Value, key, field string) {
	seen := map[string]int{}
	for _, en := range node.Content {
		if en.Kind != yaml.MappingNode {
			d.fail(en, key, "want an entry with keys (- %s: ...), got %s", field, describe(en))
			continue
		}
		ident := ""
		for i := 0; i+1 < len(en.Content); i += 2 {
			if en.Content[i].Value == field && en.Content[i+1].Kind == yaml.ScalarNode {
				ident = en.Content[i+1].Value
			}
		}
		if strings.TrimSpace(ident) == "" {
			d.fail(en, key, "an entry has no %s: every entry needs one", field)
			continue
		}
		sub := key + "[" + keyPart(ident) + "]"
		if first, dup := seen[ident]; dup {
			d.fail(en, sub, "listed twice (first on line %d): keep one", first)
			continue
		}
		seen[ident] = en.Line
		idx := -1
		for i := 0; i < dst.Len(); i++ {
			if keyOf(dst.Index(i), field) == ident {
				idx = i
				break
			}
		}
		if idx < 0 {
			dst.Set(reflect.Append(dst, reflect.New(dst.Type().Elem()).Elem()))
			idx = dst.Len() - 1
		}
		d.overlay(en, dst.Index(idx), sub, "")
	}
}

func (d *decoder) overlayMap(node *yaml.Node, dst reflect.Value, key string) {
	if node.Kind != yaml.MappingNode {
		d.fail(node, key, "want a mapping of names to values, got %s", describe(node))
		return
	}
	if dst.IsNil() {
		dst.Set(reflect.MakeMap(dst.Type()))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		kn, vn := node.Content[i], node.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			d.fail(kn, key, "a name must be plain text, got %s", describe(kn))
			continue
		}
		if first, dup := seen[kn.Value]; dup {
			d.fail(kn, join(key, keyPart(kn.Value)), "set twice (first on line %d): keep one", first)
			continue
		}
		seen[kn.Value] = kn.Line
		if strings.TrimSpace(kn.Value) == "" {
			d.fail(kn, key, "an empty name")
			continue
		}
		v := reflect.New(dst.Type().Elem()).Elem()
		d.overlay(vn, v, join(key, keyPart(kn.Value)), "")
		dst.SetMapIndex(reflect.ValueOf(kn.Value), v)
	}
}

// leaf decodes one scalar value, with a message that says what was wanted.
func (d *decoder) leaf(node *yaml.Node, dst reflect.Value, key string) {
	v := reflect.New(dst.Type())
	err := errors.New("not a scalar")
	if node.Kind == yaml.ScalarNode && (isLeaf(dst.Type()) || tagFits(node, dst.Kind())) {
		err = node.Decode(v.Interface())
	}
	if err != nil {
		if _, ok := v.Interface().(yaml.Unmarshaler); ok && node.Kind == yaml.ScalarNode {
			d.fail(node, key, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			return
		}
		d.fail(node, key, "want %s, got %s", want(dst.Type()), describe(node))
		return
	}
	dst.Set(v.Elem())
}

// tagFits refuses what yaml would convert without a word: 2.5 into a whole
// number (it truncates), "yes" or "on" into a bool, a quoted "5" into a number.
func tagFits(node *yaml.Node, kind reflect.Kind) bool {
	tag := node.ShortTag()
	switch kind {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return tag == "!!int"
	case reflect.Float64, reflect.Float32:
		return tag == "!!int" || tag == "!!float"
	case reflect.Bool:
		return tag == "!!bool"
	}
	return true
}

func want(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a text value"
	}
	return "a " + t.String()
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a section of keys"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_@:/+-][A-Za-z0-9_.@:/+-]*$`)

// keyPart writes a name in a dotted key, quoted when it is not plain, so a
// key with a newline or a dot in it cannot make a message lie.
func keyPart(name string) string {
	if plainKey.MatchString(name) {
		return name
	}
	return strconv.Quote(name)
}

func join(key, name string) string {
	if key == "" {
		return name
	}
	return key + "." + name
}

// yamlFields maps the yaml names of t's fields to the fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields
}

func sortedKeys(fields map[string]reflect.StructField) []string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// suggest names the known key a typo most likely meant.
func suggest(name string, fields map[string]reflect.StructField) string {
	best, bestDist := "", 3
	lower := strings.ToLower(name)
	for k := range fields {
		if strings.EqualFold(k, name) {
			return fmt.Sprintf(" (did you mean %q? keys are case-sensitive)", k)
		}
		dist := editDistance(strings.ToLower(k), lower)
		if len(name) >= 3 && (strings.HasPrefix(strings.ToLower(k), lower) || strings.HasPrefix(lower, strings.ToLower(k)) || isAbbreviation(lower, strings.ToLower(k))) {
			dist = 1 // budget for budgetUsd, cmd for command
		}
		if dist < bestDist || (dist == bestDist && k < best) {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// isAbbreviation reports whether short is long with letters left out,
// starting with the same letter.
func isAbbreviation(short, long string) bool {
	if short == "" || long == "" || short[0] != long[0] {
		return false
	}
	i := 0
	for j := 0; j < len(long) && i < len(short); j++ {
		if long[j] == short[i] {
			i++
		}
	}
	return i == len(short)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// keyOf is the value of the field with yaml name field in struct v.
func keyOf(v reflect.Value, field string) string {
	f, ok := yamlFields(v.Type())[field]
	if !ok {
		return ""
	}
	return v.FieldByIndex(f.Index).String()
}

func containsValue(list, v reflect.Value) bool {
	for i := 0; i < list.Len(); i++ {
		if reflect.DeepEqual(list.Index(i).Interface(), v.Interface()) {
			return true
		}
	}
	return false
}

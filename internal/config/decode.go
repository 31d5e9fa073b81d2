// Package config reads iocflow's YAML configuration file strictly: a key
// that no field takes is an error, and every problem of a file (unknown
// keys, values of the wrong type, invalid values found by the sections'
// Validate methods) is reported at once, each with its key path
// ("kafka.inputs[1].format: unknown format \"xml\"").
//
// The file's shape is declared by the caller as a struct whose fields carry
// yaml tags; each section is a package's own Config type with Defaults()
// and Validate() methods. Duration and Size read "30s" and "64MiB".
//
// Decoding is done once at start-up; nothing here is safe for concurrent
// use or meant for a hot path.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the YAML file at path into dst, a pointer to a struct; see
// Decode.
func Load(path string, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if err := Decode(data, dst); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// Decode reads YAML data into dst, a pointer to a struct, strictly: every
// mapping key must name a field (by its yaml tag, or its lower-cased name
// when it has none), and every value must fit its field's type. Fields the
// data does not mention keep what dst held. The error, if any, joins one
// *Problem per problem found, in document order.
func Decode(data []byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic("config.Decode: dst must be a pointer to a struct")
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file leaves every default
		}
		return &Problem{Path: "(file)", Msg: err.Error()}
	}
	d := &decoder{}
	d.value(&doc, rv.Elem(), "")
	return d.problems.Err()
}

type decoder struct {
	problems Problems
}

var (
	unmarshalerType     = reflect.TypeFor[yaml.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// value decodes n into v, which must be settable, and records problems
// under path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.value(n.Content[0], v, path)
		}
		return
	case yaml.AliasNode:
		d.value(n.Alias, v, path)
		return
	}
	if n.Tag == "!!null" {
		return // an explicit null leaves the default
	}
	if isLeaf(v) {
		d.leaf(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, v.Elem(), path)
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.Slice:
		d.sequence(n, v, path)
	default:
		d.leaf(n, v, path)
	}
}

// isLeaf reports whether v decodes itself: scalars, and types with their
// own UnmarshalYAML or UnmarshalText.
func isLeaf(v reflect.Value) bool {
	pt := reflect.PointerTo(v.Type())
	if pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType) {
		return true
	}
	switch v.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Pointer:
		return false
	}
	return true
}

func (d *decoder) leaf(n *yaml.Node, v reflect.Value, path string) {
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.problems.Add(at(path, n), "%s", cleanYAMLError(err))
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problems.Add(at(path, n), "want a mapping of keys, got %s", nodeKind(n))
		return
	}
	fields := structFields(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			d.problems.Add(at(p, k), "unknown key%s", suggest(k.Value, fields))
			continue
		}
		d.value(val, v.FieldByIndex(idx), p)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.problems.Add(at(path, n), "want a mapping, got %s", nodeKind(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		panic("config: map keys must be strings")
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		elem := reflect.New(v.Type().Elem()).Elem()
		if old := v.MapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key())); old.IsValid() {
			elem.Set(old)
		}
		d.value(val, elem, join(path, k.Value))
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.problems.Add(at(path, n), "want a list, got %s", nodeKind(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, e := range n.Content {
		d.value(e, s.Index(i), path+"["+strconv.Itoa(i)+"]")
	}
	v.Set(s)
}

// structFields maps the keys of a struct type to field indexes, following
// embedded structs tagged ",inline".
func structFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range structFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// at adds the line of n to a path, so that a problem can be found in the
// file: "kafka.brokers (line 3)".
func at(path string, n *yaml.Node) string {
	if path == "" {
		path = "(top level)"
	}
	if n.Line > 0 {
		return path + " (line " + strconv.Itoa(n.Line) + ")"
	}
	return path
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "scalar " + strconv.Quote(n.Value)
}

// cleanYAMLError drops the "yaml: unmarshal errors:\n  line N: " framing,
// since the path already says where.
func cleanYAMLError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "line ") {
		if _, rest, ok := strings.Cut(s, ": "); ok {
			s = rest
		}
	}
	return s
}

// suggest names the known keys when there are few of them, so that a typo
// is easy to fix.
func suggest(key string, fields map[string][]int) string {
	if len(fields) == 0 {
		return " (this section takes no keys)"
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 12 {
		return ""
	}
	return " (known: " + strings.Join(keys, ", ") + ")"
}

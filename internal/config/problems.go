package config

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration, at a key path
// ("sinks.verdict_topic.topic").
type Problem struct {
	Path string
	Msg  string
}

func (p *Problem) Error() string { return p.Path + ": " + p.Msg }

// Problems collects the problems of a configuration, so that a Validate
// method can report all of them at once. The zero value is empty and ready
// to use.
type Problems struct {
	list []error
}

// Add records a problem at path, with a message formatted as by
// fmt.Sprintf.
func (p *Problems) Add(path, format string, args ...any) {
	p.list = append(p.list, &Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Nest records the problems of a section's Validate (or Decode) error
// under prefix: a *Problem at "topic" becomes one at "prefix.topic", and
// any other error becomes a problem at prefix. A nil err adds nothing.
func (p *Problems) Nest(prefix string, err error) {
	if err == nil {
		return
	}
	for _, e := range flatten(err) {
		var pr *Problem
		if errors.As(e, &pr) {
			path := pr.Path
			switch {
			case prefix == "":
			case path == "" || strings.HasPrefix(path, "("):
				path = prefix + " " + path
			case strings.HasPrefix(path, "["):
				path = prefix + path
			default:
				path = prefix + "." + path
			}
			p.list = append(p.list, &Problem{Path: strings.TrimSpace(path), Msg: pr.Msg})
			continue
		}
		p.list = append(p.list, &Problem{Path: prefix, Msg: e.Error()})
	}
}

// Len returns the number of problems recorded.
func (p *Problems) Len() int { return len(p.list) }

// Err returns nil when nothing was recorded, or every problem joined with
// errors.Join, one per line.
func (p *Problems) Err() error { return errors.Join(p.list...) }

// flatten lists the errors an errors.Join holds, recursively.
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

package main

import (
	"log/slog"
	"strings"
)

// listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// levelFlag is a log level given by name.
type levelFlag struct{ slog.Level }

func (l *levelFlag) Set(s string) error { return l.UnmarshalText([]byte(s)) }

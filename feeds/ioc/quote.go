package ioc

import "github.com/iocflow/iocflow/internal/clip"

func quote(s string) string { return clip.Quote(s) }

package ioc

import "strings"

// refangs lists the defanged spellings that analysts and feeds use to keep
// indicators from being clickable, with their repaired form. Longer forms
// come first so that "[.]" is not taken for "[" + "." + "]".
var refangs = strings.NewReplacer(
	"[://]", "://", "[:]", ":", "[:/]", ":/",
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".", "{dot}", ".",
	"[DOT]", ".", "(DOT)", ".", " [dot] ", ".",
	"[@]", "@", "(@)", "@", "[at]", "@", "(at)", "@", "{at}", "@",
	"[AT]", "@", "(AT)", "@", " [at] ", "@",
	`\.`, ".",
)

var defangedSchemes = []struct{ from, to string }{
	{"hxxps://", "https://"}, {"hxxp://", "http://"}, {"fxp://", "ftp://"},
}

// Refang repairs a defanged value ("hxxp://evil[.]example", "a[at]b[.]c")
// and reports whether it changed anything. Feeds apply it on input and keep
// the original next to the repaired value; events are never refanged.
func Refang(s string) (string, bool) {
	r := s
	if strings.ContainsAny(s, "[({\\ ") {
		r = refangs.Replace(s)
	}
	// Schemes are repaired only at the start, where they cannot be part of a
	// name ("fxpro.example" stays as it is).
	for _, f := range defangedSchemes {
		if len(r) > len(f.from) && strings.EqualFold(r[:len(f.from)], f.from) {
			r = f.to + r[len(f.from):]
			break
		}
	}
	return r, r != s
}

package upload

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Role is what a bearer token may do. The zero value is no role at all.
type Role uint8

// The roles, each allowed what the ones before it are.
const (
	RoleNone Role = iota
	// RoleViewer may read indicators.
	RoleViewer
	// RoleCurator may also upload and delete them.
	RoleCurator
)

// String returns the role's name as written in a tokens file.
func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleCurator:
		return "curator"
	}
	return "none"
}

// minTokenLen refuses tokens short enough to guess.
const minTokenLen = 16

// Tokens is the set of bearer tokens the API accepts, each with a role.
// Only SHA-256 digests of the tokens are kept. Safe for concurrent use.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	sum  [sha256.Size]byte
	role Role
}

// ParseTokens reads tokens in the form of a tokens file: one "token role"
// pair a line, role being curator or viewer; blank lines and lines starting
// with '#' are skipped. A line that is not such a pair is an error that
// gives its line number and never the token.
func ParseTokens(r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	sc := bufio.NewScanner(r)
	var errs []error
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if err := t.add(line); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tokens) add(line string) error {
	f := strings.Fields(line)
	if len(f) != 2 {
		return errors.New(`want "token role"`)
	}
	var role Role
	switch f[1] {
	case "curator":
		role = RoleCurator
	case "viewer":
		role = RoleViewer
	default:
		return errors.New("role must be curator or viewer")
	}
	if len(f[0]) < minTokenLen {
		return fmt.Errorf("token shorter than %d bytes", minTokenLen)
	}
	t.entries = append(t.entries, tokenEntry{sum: sha256.Sum256([]byte(f[0])), role: role})
	return nil
}

// LoadTokens reads the tokens file at path, if path is not empty, and the
// tokens in env (the value of an environment variable, in the same form,
// with ',' allowed between pairs as well as newlines). It is an error when
// neither gives a token.
func LoadTokens(path, env string) (*Tokens, error) {
	t := &Tokens{}
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read tokens: %w", err)
		}
		ft, err := ParseTokens(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read tokens %s: %w", path, err)
		}
		t.entries = append(t.entries, ft.entries...)
	}
	if env != "" {
		et, err := ParseTokens(strings.NewReader(strings.ReplaceAll(env, ",", "\n")))
		if err != nil {
			return nil, fmt.Errorf("read tokens from the environment: %w", err)
		}
		t.entries = append(t.entries, et.entries...)
	}
	if t.Len() == 0 {
		return nil, errors.New("no API tokens: give a tokens file or set the environment variable")
	}
	return t, nil
}

// Len returns the number of tokens.
func (t *Tokens) Len() int { return len(t.entries) }

// Role returns the role of token, or RoleNone. It compares digests in
// constant time and looks at every entry whatever matches, so that its
// time says nothing about the tokens held.
func (t *Tokens) Role(token string) Role {
	sum := sha256.Sum256([]byte(token))
	role := RoleNone
	for i := range t.entries {
		e := &t.entries[i]
		match := subtle.ConstantTimeCompare(sum[:], e.sum[:])
		role = Role(subtle.ConstantTimeSelect(match, int(e.role), int(role)))
	}
	return role
}

package enforce

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Role is what a principal may do. Each role includes the ones below it.
type Role uint8

// Roles from least to most powerful. The zero value is RoleNone.
const (
	RoleNone Role = iota
	// RoleViewer may list actions and read the policy.
	RoleViewer
	// RoleApprover may also approve, deny and release actions.
	RoleApprover
	// RoleAdmin may also change the policy.
	RoleAdmin
)

var roleNames = []string{"none", "viewer", "approver", "admin"}

// String returns the role's name.
func (r Role) String() string {
	if int(r) >= len(roleNames) {
		return "none"
	}
	return roleNames[r]
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, bool) {
	for i, n := range roleNames[1:] {
		if n == s {
			return Role(i + 1), true
		}
	}
	return RoleNone, false
}

// Principal is who asks for an operation.
type Principal struct {
	Name string
	Role Role
}

// Actor returns the principal as audit records name it.
func (p Principal) Actor() string { return "user:" + p.Name }

// MinTokenLen is the shortest bearer token accepted, in bytes.
const MinTokenLen = 16

// Tokens maps bearer tokens to principals. Only SHA-256 digests of the
// tokens are kept in memory. Immutable once loaded; safe for concurrent
// use.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	sum       [sha256.Size]byte
	principal Principal
}

// ParseTokens reads token lines "ROLE NAME TOKEN" (role viewer, approver
// or admin); blank lines and lines starting with '#' are skipped. Every
// bad line is reported, without the token. name says where the lines come
// from (a file name, or an environment variable).
func ParseTokens(name string, r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	var errs []error
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			errs = append(errs, fmt.Errorf("%s:%d: want ROLE NAME TOKEN", name, n))
			continue
		}
		role, ok := ParseRole(f[0])
		if !ok {
			errs = append(
				errs,
				fmt.Errorf("%s:%d: role must be viewer, approver or admin", name, n),
			)
			continue
		}
		if len(f[2]) < MinTokenLen {
			errs = append(
				errs,
				fmt.Errorf("%s:%d: token shorter than %d bytes", name, n, MinTokenLen),
			)
			continue
		}
		t.entries = append(t.entries, tokenEntry{
			sum: sha256.Sum256([]byte(f[2])), principal: Principal{Name: f[1], Role: role}})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("read %s: %w", name, err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// Len returns the number of tokens.
func (t *Tokens) Len() int { return len(t.entries) }

// Lookup returns the principal of token. It compares digests in constant
// time and looks at every entry, so timing does not tell which matched.
func (t *Tokens) Lookup(token string) (Principal, bool) {
	sum := sha256.Sum256([]byte(token))
	var found Principal
	ok := false
	for _, e := range t.entries {
		if subtle.ConstantTimeCompare(sum[:], e.sum[:]) == 1 {
			found, ok = e.principal, true
		}
	}
	return found, ok
}

func require(p Principal, r Role) error {
	if p.Role < r {
		return fmt.Errorf("%s is %s, needs %s: %w", p.Name, p.Role, r, ErrForbidden)
	}
	return nil
}

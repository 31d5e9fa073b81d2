package enrich

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Entry is one person or service account in the directory.
type Entry struct {
	User       string   `json:"user"`
	Department string   `json:"department"`
	Groups     []string `json:"groups"`
	VIP        bool     `json:"vip"`
	// Hosts and IPs are the machines and static addresses assigned to the
	// user.
	Hosts []string `json:"hosts"`
	IPs   []string `json:"ips"`
}

// Directory is an immutable index of entries by user, host and address.
// Keys are compared without ASCII case; a user matches with or without
// its domain ("CORP\bob", "bob", "bob@corp.example").
type Directory struct {
	byUser map[string]*Entry
	byHost map[string]*Entry
	byIP   map[netip.Addr]*Entry
}

// NewDirectory indexes entries. An address that does not parse is an
// error naming the entry.
func NewDirectory(entries []Entry) (*Directory, error) {
	d := &Directory{byUser: map[string]*Entry{}, byHost: map[string]*Entry{},
		byIP: map[netip.Addr]*Entry{}}
	var errs []error
	for i := range entries {
		e := &entries[i]
		if e.User != "" {
			d.byUser[userKey(e.User)] = e
		}
		for _, h := range e.Hosts {
			d.byHost[hostKey(h)] = e
		}
		for _, s := range e.IPs {
			a, err := netip.ParseAddr(strings.TrimSpace(s))
			if err != nil {
				errs = append(errs, fmt.Errorf("entry %d (%q): ip %q: not an address", i+1,
					e.User, s))
				continue
			}
			d.byIP[a.Unmap()] = e
		}
	}
	return d, errors.Join(errs...)
}

// userKey reduces "DOMAIN\user" and "user@domain" to "user", lower case.
func userKey(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	if i := strings.LastIndexByte(u, '\\'); i >= 0 {
		u = u[i+1:]
	}
	if i := strings.IndexByte(u, '@'); i >= 0 {
		u = u[:i]
	}
	return u
}

// hostKey reduces a host name to its first label, lower case, so that
// "WS-17" and "ws-17.corp.example" are one machine.
func hostKey(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if i := strings.IndexByte(h, '.'); i > 0 {
		if _, err := netip.ParseAddr(h); err != nil {
			h = h[:i]
		}
	}
	return h
}

// User returns the entry of a user, or nil.
func (d *Directory) User(u string) *Entry {
	if d == nil || u == "" {
		return nil
	}
	return d.byUser[userKey(u)]
}

// Host returns the entry of the user a host is assigned to, or nil.
func (d *Directory) Host(h string) *Entry {
	if d == nil || h == "" {
		return nil
	}
	return d.byHost[hostKey(h)]
}

// IP returns the entry of a statically assigned address, or nil.
func (d *Directory) IP(a netip.Addr) *Entry {
	if d == nil {
		return nil
	}
	return d.byIP[a.Unmap()]
}

// LoadFile reads a directory from a JSON file (an array of entries) or a
// CSV file with the header user,department,groups,vip,hosts,ips, where
// groups, hosts and ips are ';'-separated and vip is true/false.
func LoadFile(path string) (*Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	defer f.Close()
	var entries []Entry
	if strings.EqualFold(filepath.Ext(path), ".json") {
		if err := json.NewDecoder(f).Decode(&entries); err != nil {
			return nil, fmt.Errorf("read directory %s: %w", path, err)
		}
	} else if entries, err = readCSV(f); err != nil {
		return nil, fmt.Errorf("read directory %s: %w", path, err)
	}
	return NewDirectory(entries)
}

var csvHeader = []string{"user", "department", "groups", "vip", "hosts", "ips"}

func readCSV(r io.Reader) ([]Entry, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(csvHeader)
	cr.Comment = '#'
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if strings.Join(head, ",") != strings.Join(csvHeader, ",") {
		return nil, fmt.Errorf("header %q, want %q", strings.Join(head, ","),
			strings.Join(csvHeader, ","))
	}
	var out []Entry
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		vip, err := strconv.ParseBool(strings.TrimSpace(orFalse(rec[3])))
		if err != nil {
			line, _ := cr.FieldPos(3)
			return nil, fmt.Errorf("line %d: vip %q: want true or false", line, rec[3])
		}
		out = append(out, Entry{User: rec[0], Department: rec[1], Groups: list(rec[2]),
			VIP: vip, Hosts: list(rec[4]), IPs: list(rec[5])})
	}
}

func orFalse(s string) string {
	if strings.TrimSpace(s) == "" {
		return "false"
	}
	return s
}

func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ";") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// Source is where a directory comes from: a file (FileSource) or an LDAP
// server (LDAPSource).
type Source interface {
	// Load returns the current directory and a version that changes when
	// the content changes (a file's modification time and size).
	Load() (*Directory, string, error)
	// Version returns the version Load would report, cheaply.
	Version() (string, error)
}

// FileSource is a directory file reloaded when it changes.
type FileSource struct{ Path string }

// Version implements Source from the file's modification time and size.
func (s FileSource) Version() (string, error) {
	fi, err := os.Stat(s.Path)
	if err != nil {
		return "", fmt.Errorf("read directory: %w", err)
	}
	return fi.ModTime().String() + "/" + strconv.FormatInt(fi.Size(), 10), nil
}

// Load implements Source.
func (s FileSource) Load() (*Directory, string, error) {
	v, err := s.Version()
	if err != nil {
		return nil, "", err
	}
	d, err := LoadFile(s.Path)
	return d, v, err
}

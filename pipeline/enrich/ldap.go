package enrich

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/iocflow/iocflow/internal/config"
)

// LDAPConfig says where and how an LDAPSource reads the directory; its
// keys are those of the "enrich.ldap" config section.
type LDAPConfig struct {
	// URL is the directory: ldaps://host:636, or ldap://host:389 with
	// StartTLS. Required; plain ldap:// without StartTLS is for loopback
	// tests only.
	URL string `yaml:"url"`
	// StartTLS upgrades an ldap:// connection before binding. Default false.
	StartTLS bool `yaml:"start_tls"`
	// CAFile is a PEM file of the CAs that sign the server's certificate.
	// Default: the system's roots.
	CAFile string `yaml:"ca_file"`
	// BindDN is the account that reads the directory; BindPasswordEnv or
	// BindPasswordFile holds its password (exactly one is required). The
	// password is read at each connection, so a rotated file is picked up.
	BindDN           string `yaml:"bind_dn"`
	BindPasswordEnv  string `yaml:"bind_password_env"`
	BindPasswordFile string `yaml:"bind_password_file"`
	// BaseDN is where people are searched (whole subtree); required.
	BaseDN string `yaml:"base_dn"`
	// Filter selects the person entries. Default "(objectClass=person)",
	// which Active Directory users and OpenLDAP inetOrgPerson entries
	// match; on Active Directory "(&(objectCategory=person)
	// (objectClass=user))" leaves out computer accounts.
	Filter string `yaml:"filter"`
	// UserAttr holds the user name events carry. Default "sAMAccountName"
	// (Active Directory); "uid" on OpenLDAP. Entries without it are left
	// out.
	UserAttr string `yaml:"user_attr"`
	// DepartmentAttr holds the department. Default "department";
	// "departmentNumber" or "ou" on OpenLDAP.
	DepartmentAttr string `yaml:"department_attr"`
	// GroupAttr lists the DNs of the groups a person is in; each group is
	// named by the value of its DN's first component (its CN). Default
	// "memberOf" (Active Directory, OpenLDAP with the memberof overlay).
	GroupAttr string `yaml:"group_attr"`
	// GroupBaseDN, when set, is searched for groups too (any entry with a
	// MemberAttr), for directories without memberOf; their members get
	// the group's cn. Default: none.
	GroupBaseDN string `yaml:"group_base_dn"`
	// MemberAttr is the groups' member attribute (values are DNs). Default
	// "member".
	MemberAttr string `yaml:"member_attr"`
	// VIPGroup marks the members of a group as VIP, named by its CN or its
	// DN. Default: none.
	VIPGroup string `yaml:"vip_group"`
	// VIPAttr marks as VIP the entries whose attribute has a value, written
	// "attribute=value" (compared without case), such as
	// "employeeType=VIP". Default: none.
	VIPAttr string `yaml:"vip_attr"`
	// HostAttr and IPAttr hold the machines and static addresses assigned
	// to a person. Default: none. Values that are not addresses are left
	// out.
	HostAttr string `yaml:"host_attr"`
	IPAttr   string `yaml:"ip_attr"`
	// PageSize is the number of entries per page of a search (RFC 2696).
	// Default 500; Active Directory serves at most 1000.
	PageSize int `yaml:"page_size"`
	// Timeout bounds connecting and each search. Default 30s.
	Timeout config.Duration `yaml:"timeout"`
}

// Defaults fills in the documented defaults.
func (c *LDAPConfig) Defaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.Filter, "(objectClass=person)")
	def(&c.UserAttr, "sAMAccountName")
	def(&c.DepartmentAttr, "department")
	def(&c.GroupAttr, "memberOf")
	def(&c.MemberAttr, "member")
	if c.PageSize == 0 {
		c.PageSize = 500
	}
	if c.Timeout == 0 {
		c.Timeout = config.Duration(30 * time.Second)
	}
}

// Validate returns every problem at once, each with its key path under
// prefix ("enrich.ldap").
func (c *LDAPConfig) Validate(prefix string) error {
	var errs []error
	bad := func(k, m string) { errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, k, m)) }
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "":
		bad("url", "want ldaps://host:636 or ldap://host:389")
	case u.Scheme == "ldaps" && c.StartTLS:
		bad("start_tls", "ldaps:// is TLS already; start_tls is for ldap://")
	}
	if c.BindDN == "" {
		bad("bind_dn", "required")
	}
	if (c.BindPasswordEnv == "") == (c.BindPasswordFile == "") {
		bad("bind_password_env", "set one of bind_password_env, bind_password_file")
	}
	if _, err := ldap.ParseDN(c.BaseDN); err != nil || c.BaseDN == "" {
		bad("base_dn", "want a DN")
	}
	if _, err := ldap.ParseDN(c.GroupBaseDN); err != nil {
		bad("group_base_dn", "want a DN")
	}
	if _, err := ldap.CompileFilter(c.Filter); err != nil {
		bad("filter", "not an LDAP filter (RFC 4515)")
	}
	if c.VIPAttr != "" && !strings.Contains(c.VIPAttr, "=") {
		bad("vip_attr", `want "attribute=value"`)
	}
	if c.PageSize < 1 {
		bad("page_size", "must be ≥ 1")
	}
	return errors.Join(errs...)
}

// LDAPSource is a directory read from LDAP: a paged search of person
// entries under a base DN, mapped to Entries by the configured attributes.
// Its version is a hash of the mapped entries, so it changes exactly when
// something enrichment uses changes. Safe for concurrent use.
type LDAPSource struct {
	cfg   LDAPConfig
	roots *x509.CertPool

	mu   sync.Mutex
	last fetched // the result of the last Version, for the Load after it
}

type fetched struct {
	at      time.Time
	entries []Entry
	version string
}

// lastFresh is how long the result of a Version call serves the Load that
// follows it, so that a reload costs one search, not two.
const lastFresh = 5 * time.Second

// NewLDAPSource returns a source for a config that has been through
// Defaults and Validate. It reads the CA file and checks that the password
// can be read; it does not connect.
func NewLDAPSource(c LDAPConfig) (*LDAPSource, error) {
	s := &LDAPSource{cfg: c}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		s.roots = x509.NewCertPool()
		if !s.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate", c.CAFile)
		}
	}
	if _, err := readSecret(c.BindPasswordEnv, c.BindPasswordFile); err != nil {
		return nil, fmt.Errorf("bind password: %w", err)
	}
	return s, nil
}

// Version implements Source. It runs the same search as Load, whose
// result it keeps for a Load right after it.
func (s *LDAPSource) Version() (string, error) {
	entries, v, err := s.fetch()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.last = fetched{at: time.Now(), entries: entries, version: v}
	s.mu.Unlock()
	return v, nil
}

// Load implements Source.
func (s *LDAPSource) Load() (*Directory, string, error) {
	s.mu.Lock()
	last := s.last
	s.last = fetched{}
	s.mu.Unlock()
	entries, v := last.entries, last.version
	if v == "" || time.Since(last.at) > lastFresh {
		var err error
		if entries, v, err = s.fetch(); err != nil {
			return nil, "", err
		}
	}
	d, err := NewDirectory(entries)
	return d, v, err
}

// fetch reads and maps the directory and returns the entries, sorted by
// user, with their version.
func (s *LDAPSource) fetch() ([]Entry, string, error) {
	conn, err := s.connect()
	if err != nil {
		return nil, "", err
	}
	defer conn.Close()
	groups, err := s.groupMembers(conn)
	if err != nil {
		return nil, "", err
	}
	res, err := conn.SearchWithPaging(s.request(s.cfg.BaseDN, s.cfg.Filter, s.attrs()),
		uint32(s.cfg.PageSize))
	if err != nil {
		return nil, "", fmt.Errorf("search people under %q: %w", s.cfg.BaseDN, err)
	}
	entries := make([]Entry, 0, len(res.Entries))
	for _, le := range res.Entries {
		if e, ok := s.entry(le, groups[dnKey(le.DN)]); ok {
			entries = append(entries, e)
		}
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.User, b.User) })
	raw, err := json.Marshal(entries)
	if err != nil {
		return nil, "", fmt.Errorf("hash directory: %w", err)
	}
	sum := sha256.Sum256(raw)
	return entries, hex.EncodeToString(sum[:12]), nil
}

func (s *LDAPSource) request(base, filter string, attrs []string) *ldap.SearchRequest {
	return ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0,
		int(s.cfg.Timeout.D()/time.Second), false, filter, attrs, nil)
}

// attrs lists the attributes the mapping reads.
func (s *LDAPSource) attrs() []string {
	vipAttr, _, _ := strings.Cut(s.cfg.VIPAttr, "=")
	var out []string
	for _, a := range []string{s.cfg.UserAttr, s.cfg.DepartmentAttr, s.cfg.GroupAttr,
		s.cfg.HostAttr, s.cfg.IPAttr, vipAttr} {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// connect dials, upgrades to TLS when asked and binds.
func (s *LDAPSource) connect() (*ldap.Conn, error) {
	timeout := s.cfg.Timeout.D()
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("directory url: %w", err)
	}
	tc := &tls.Config{ServerName: u.Hostname(), RootCAs: s.roots, MinVersion: tls.VersionTLS12}
	opts := []ldap.DialOpt{ldap.DialWithDialer(&net.Dialer{Timeout: timeout})}
	if u.Scheme == "ldaps" {
		opts = append(opts, ldap.DialWithTLSConfig(tc))
	}
	conn, err := ldap.DialURL(s.cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", u.Host, err)
	}
	conn.SetTimeout(timeout)
	if s.cfg.StartTLS {
		if err := conn.StartTLS(tc); err != nil {
			conn.Close()
			return nil, fmt.Errorf("start tls: %w", err)
		}
	}
	pw, err := readSecret(s.cfg.BindPasswordEnv, s.cfg.BindPasswordFile)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("bind password: %w", err)
	}
	if err := conn.Bind(s.cfg.BindDN, pw); err != nil {
		conn.Close()
		return nil, fmt.Errorf("bind as %q: %w", s.cfg.BindDN, err)
	}
	return conn, nil
}

// groupRef is a group a person is in: its name and its DN's key.
type groupRef struct{ name, key string }

// groupMembers searches GroupBaseDN for groups and returns, by member DN
// key, the groups each member is in; nil without GroupBaseDN.
func (s *LDAPSource) groupMembers(conn *ldap.Conn) (map[string][]groupRef, error) {
	if s.cfg.GroupBaseDN == "" {
		return nil, nil
	}
	filter := "(" + ldap.EscapeFilter(s.cfg.MemberAttr) + "=*)"
	res, err := conn.SearchWithPaging(s.request(s.cfg.GroupBaseDN, filter,
		[]string{"cn", s.cfg.MemberAttr}), uint32(s.cfg.PageSize))
	if err != nil {
		return nil, fmt.Errorf("search groups under %q: %w", s.cfg.GroupBaseDN, err)
	}
	out := map[string][]groupRef{}
	for _, g := range res.Entries {
		ref := groupRef{name: g.GetAttributeValue("cn"), key: dnKey(g.DN)}
		if ref.name == "" {
			ref.name = dnName(g.DN)
		}
		for _, m := range g.GetAttributeValues(s.cfg.MemberAttr) {
			k := dnKey(m)
			out[k] = append(out[k], ref)
		}
	}
	return out, nil
}

// entry maps a person entry, with the groups found to list it as a
// member; false when it has no user name.
func (s *LDAPSource) entry(le *ldap.Entry, member []groupRef) (Entry, bool) {
	e := Entry{User: le.GetAttributeValue(s.cfg.UserAttr),
		Department: le.GetAttributeValue(s.cfg.DepartmentAttr)}
	if e.User == "" {
		return Entry{}, false
	}
	member = slices.Clip(member) // the slice is the group index's: append to a copy
	for _, dn := range le.GetAttributeValues(s.cfg.GroupAttr) {
		member = append(member, groupRef{name: dnName(dn), key: dnKey(dn)})
	}
	vipKey := dnKey(s.cfg.VIPGroup)
	for _, g := range member {
		if g.name != "" && !slices.ContainsFunc(e.Groups, func(x string) bool {
			return strings.EqualFold(x, g.name)
		}) {
			e.Groups = append(e.Groups, g.name)
		}
		e.VIP = e.VIP || s.cfg.VIPGroup != "" &&
			(strings.EqualFold(g.name, s.cfg.VIPGroup) || g.key == vipKey)
	}
	slices.Sort(e.Groups)
	if a, v, ok := strings.Cut(s.cfg.VIPAttr, "="); ok {
		e.VIP = e.VIP || slices.ContainsFunc(le.GetAttributeValues(a), func(x string) bool {
			return strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(v))
		})
	}
	if s.cfg.HostAttr != "" {
		e.Hosts = le.GetAttributeValues(s.cfg.HostAttr)
	}
	if s.cfg.IPAttr != "" {
		for _, ip := range le.GetAttributeValues(s.cfg.IPAttr) {
			if _, err := netip.ParseAddr(strings.TrimSpace(ip)); err == nil {
				e.IPs = append(e.IPs, strings.TrimSpace(ip))
			}
		}
	}
	return e, true
}

// dnKey returns a DN in a form two spellings of it share: attribute types
// and values in lower case, no spaces around separators. A DN that does
// not parse is only lower-cased.
func dnKey(dn string) string {
	d, err := ldap.ParseDN(dn)
	if err != nil || dn == "" {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	var b strings.Builder
	for i, r := range d.RDNs {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, a := range r.Attributes {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strings.ToLower(a.Type) + "=" + strings.ToLower(a.Value))
		}
	}
	return b.String()
}

// dnName returns the value of a DN's first component: a group's CN.
func dnName(dn string) string {
	d, err := ldap.ParseDN(dn)
	if err != nil || len(d.RDNs) == 0 || len(d.RDNs[0].Attributes) == 0 {
		return ""
	}
	return d.RDNs[0].Attributes[0].Value
}

// readSecret returns a secret from the environment variable env or, when
// env is empty, from the first line of file. Errors name where it was
// looked for, never the value.
func readSecret(env, file string) (string, error) {
	if env != "" {
		if v := os.Getenv(env); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("environment variable %s is empty", env)
	}
	if file == "" {
		return "", errors.New("set bind_password_env or bind_password_file")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	v, _, _ := strings.Cut(string(b), "\n")
	if v = strings.TrimSpace(v); v == "" {
		return "", fmt.Errorf("secret file %s is empty", file)
	}
	return v, nil
}

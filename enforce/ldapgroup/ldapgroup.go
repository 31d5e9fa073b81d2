// Package ldapgroup restricts user accounts by adding them to a directory
// group over LDAP (Active Directory or OpenLDAP): a group that policy on
// the domain denies (logon restrictions, a conditional-access group, a
// VPN deny list). Apply looks the user up and adds their DN to the
// group's member attribute; Remove deletes it; Held reads the members
// back. It is an enforce.Adapter and an enforce.Lister.
//
// Each call opens its own connection (actions are few; a pooled
// connection would have to survive directory restarts). An Adapter is
// safe for concurrent use.
package ldapgroup

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/iocflow/iocflow/enforce"
)

// Config configures one directory adapter.
type Config struct {
	// Name is the adapter name rules refer to. Default "ldap".
	Name string `yaml:"name" json:"name"`
	// URL is the directory: ldaps://host:636, or ldap://host:389 with
	// StartTLS; required.
	URL string `yaml:"url" json:"url"`
	// StartTLS upgrades an ldap:// connection before binding. Default
	// false; plain ldap:// without it is for loopback tests only.
	StartTLS bool `yaml:"start_tls" json:"start_tls"`
	// BindDN is the service account; BindPasswordEnv or BindPasswordFile
	// holds its password (one is required).
	BindDN           string `yaml:"bind_dn" json:"bind_dn"`
	BindPasswordEnv  string `yaml:"bind_password_env" json:"bind_password_env"`
	BindPasswordFile string `yaml:"bind_password_file" json:"bind_password_file"`
	// GroupDN is the restricted group, used by iocflow only; required.
	GroupDN string `yaml:"group_dn" json:"group_dn"`
	// UserBaseDN is where users are searched; required.
	UserBaseDN string `yaml:"user_base_dn" json:"user_base_dn"`
	// UserAttr is the attribute that holds the user name verdicts carry.
	// Default "sAMAccountName" (Active Directory); "uid" on OpenLDAP.
	UserAttr string `yaml:"user_attr" json:"user_attr"`
	// MemberAttr is the group's member attribute. Default "member".
	MemberAttr string `yaml:"member_attr" json:"member_attr"`
}

// Defaults fills in the documented defaults.
func (c *Config) Defaults() {
	if c.Name == "" {
		c.Name = "ldap"
	}
	if c.UserAttr == "" {
		c.UserAttr = "sAMAccountName"
	}
	if c.MemberAttr == "" {
		c.MemberAttr = "member"
	}
}

// Validate returns every problem at once, with key paths under prefix.
func (c *Config) Validate(prefix string) error {
	var errs []error
	bad := func(k, m string) { errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, k, m)) }
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") {
		bad("url", "want ldaps://host:636 or ldap://host:389")
	}
	if c.BindDN == "" {
		bad("bind_dn", "required")
	}
	if (c.BindPasswordEnv == "") == (c.BindPasswordFile == "") {
		bad("bind_password_env", "set one of bind_password_env, bind_password_file")
	}
	for k, v := range map[string]string{"group_dn": c.GroupDN, "user_base_dn": c.UserBaseDN} {
		if _, err := ldap.ParseDN(v); err != nil || v == "" {
			bad(k, "want a DN")
		}
	}
	return errors.Join(errs...)
}

// Adapter changes the group's membership.
type Adapter struct {
	cfg      Config
	password string
}

// New builds an adapter; the config must have been through Defaults and
// Validate. The password is read now.
func New(c Config) (*Adapter, error) {
	pw, err := enforce.ReadSecret(c.BindPasswordEnv, c.BindPasswordFile)
	if err != nil {
		return nil, fmt.Errorf("ldap %s: bind password: %w", c.Name, err)
	}
	return &Adapter{cfg: c, password: pw}, nil
}

// Name implements enforce.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Supports reports true for restrict_user.
func (a *Adapter) Supports(k enforce.Kind) bool { return k == enforce.RestrictUser }

// connect dials and binds, within ctx's deadline.
func (a *Adapter) connect(ctx context.Context) (*ldap.Conn, error) {
	timeout := 15 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	conn, err := ldap.DialURL(a.cfg.URL, ldap.DialWithDialer(&net.Dialer{Timeout: timeout}))
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	conn.SetTimeout(timeout)
	if a.cfg.StartTLS {
		host := strings.Split(strings.TrimPrefix(a.cfg.URL, "ldap://"), ":")[0]
		tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if err := conn.StartTLS(tc); err != nil {
			conn.Close()
			return nil, fmt.Errorf("start tls: %w", err)
		}
	}
	if err := conn.Bind(a.cfg.BindDN, a.password); err != nil {
		conn.Close()
		return nil, deviceError("bind", err)
	}
	return conn, nil
}

// deviceError turns an LDAP result into a DeviceError with the result
// code; insufficient rights and invalid credentials are permanent.
func deviceError(op string, err error) error {
	var le *ldap.Error
	if !errors.As(err, &le) {
		return fmt.Errorf("%s: %w", op, err)
	}
	answer := fmt.Sprintf(
		"%s: LDAP %d %s",
		op,
		le.ResultCode,
		ldap.LDAPResultCodeMap[le.ResultCode],
	)
	permanent := le.ResultCode == ldap.LDAPResultInvalidCredentials ||
		le.ResultCode == ldap.LDAPResultInsufficientAccessRights ||
		le.ResultCode == ldap.LDAPResultNoSuchObject ||
		le.ResultCode == ldap.LDAPResultConstraintViolation
	return &enforce.DeviceError{Answer: answer, Permanent: permanent}
}

// userDN finds the DN of the user named name.
func (a *Adapter) userDN(conn *ldap.Conn, name string) (string, error) {
	filter := fmt.Sprintf("(%s=%s)", a.cfg.UserAttr, ldap.EscapeFilter(name))
	res, err := conn.Search(ldap.NewSearchRequest(a.cfg.UserBaseDN, ldap.ScopeWholeSubtree,
		ldap.NeverDerefAliases, 2, 0, false, filter, []string{"dn"}, nil))
	if err != nil {
		return "", deviceError("search user", err)
	}
	if len(res.Entries) != 1 {
		return "", &enforce.DeviceError{Permanent: true,
			Answer: fmt.Sprintf("%d users match %s", len(res.Entries), filter)}
	}
	return res.Entries[0].DN, nil
}

// Apply adds the user to the group. A user already in it counts as done.
func (a *Adapter) Apply(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	return a.change(ctx, r, true)
}

// Remove takes the user out of the group. A user not in it counts as
// done.
func (a *Adapter) Remove(ctx context.Context, r enforce.Request) (enforce.Receipt, error) {
	return a.change(ctx, r, false)
}

func (a *Adapter) change(
	ctx context.Context,
	r enforce.Request,
	add bool,
) (enforce.Receipt, error) {
	conn, err := a.connect(ctx)
	if err != nil {
		return enforce.Receipt{}, err
	}
	defer conn.Close()
	dn := r.Ref
	if dn == "" {
		if dn, err = a.userDN(conn, r.Target.Value); err != nil {
			return enforce.Receipt{}, err
		}
	}
	mod := ldap.NewModifyRequest(a.cfg.GroupDN, nil)
	benign := uint16(ldap.LDAPResultNoSuchAttribute)
	if add {
		mod.Add(a.cfg.MemberAttr, []string{dn})
		benign = ldap.LDAPResultAttributeOrValueExists
	} else {
		mod.Delete(a.cfg.MemberAttr, []string{dn})
	}
	err = conn.Modify(mod)
	if err != nil && !ldap.IsErrorWithCode(err, benign) {
		return enforce.Receipt{}, deviceError("modify group", err)
	}
	answer := "LDAP 0 Success"
	if err != nil {
		answer = fmt.Sprintf("LDAP %d (already as wanted)", benign)
	}
	return enforce.Receipt{Ref: dn, Answer: answer}, nil
}

// Held implements enforce.Lister: the group's members that are users
// under UserBaseDN, by their UserAttr. Other members (a placeholder the
// schema requires, nested groups) are not iocflow's and are left out.
func (a *Adapter) Held(ctx context.Context) ([]enforce.Target, error) {
	conn, err := a.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	res, err := conn.Search(ldap.NewSearchRequest(a.cfg.GroupDN, ldap.ScopeBaseObject,
		ldap.NeverDerefAliases, 1, 0, false, "(objectClass=*)", []string{a.cfg.MemberAttr}, nil))
	if err != nil {
		return nil, deviceError("read group", err)
	}
	if len(res.Entries) != 1 {
		return nil, &enforce.DeviceError{Answer: "group not found"}
	}
	var out []enforce.Target
	for _, dn := range res.Entries[0].GetAttributeValues(a.cfg.MemberAttr) {
		u, err := conn.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject,
			ldap.NeverDerefAliases, 1, 0, false, "(objectClass=*)", []string{a.cfg.UserAttr}, nil))
		if err != nil || len(u.Entries) != 1 || !isUnder(dn, a.cfg.UserBaseDN) {
			continue
		}
		if name := u.Entries[0].GetAttributeValue(a.cfg.UserAttr); name != "" {
			out = append(out, enforce.Target{Kind: enforce.RestrictUser, Value: name})
		}
	}
	return out, nil
}

func isUnder(dn, base string) bool {
	d, err1 := ldap.ParseDN(dn)
	b, err2 := ldap.ParseDN(base)
	return err1 == nil && err2 == nil && b.AncestorOfFold(d)
}

//go:build integration

package enrich

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// These tests run against the scratch slapd that deploy/ldap.sh starts on
// loopback; deploy/test.sh sources its env file first. Each test seeds its
// own subtree, so that they share the server with the enforcement tests.

type ldapFixture struct {
	cfg          LDAPConfig
	conn         *ldap.Conn
	people, grps string
}

func newLDAPFixture(t *testing.T) *ldapFixture {
	t.Helper()
	url, base := os.Getenv("IOCFLOW_LDAP_URL"), os.Getenv("IOCFLOW_LDAP_BASE")
	if url == "" || base == "" {
		t.Fatal("IOCFLOW_LDAP_URL not set: start slapd with deploy/ldap.sh start " +
			"and source its env file")
	}
	// The seed's base is ou=people under the suffix; the fixture's
	// subtree goes beside it.
	_, suffix, _ := strings.Cut(base, ",")
	root := "ou=enrich-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "," + suffix
	f := &ldapFixture{people: "ou=people," + root, grps: "ou=groups," + root}
	f.cfg = LDAPConfig{URL: url, BindDN: os.Getenv("IOCFLOW_LDAP_BIND_DN"),
		BindPasswordFile: os.Getenv("IOCFLOW_LDAP_PASSWORD_FILE"), BaseDN: f.people,
		Filter: "(objectClass=inetOrgPerson)", UserAttr: "uid",
		DepartmentAttr: "departmentNumber", GroupBaseDN: f.grps, VIPGroup: "vips",
		VIPAttr: "employeeType=VIP", PageSize: 4}
	f.cfg.Defaults()
	if err := f.cfg.Validate("enrich.ldap"); err != nil {
		t.Fatal(err)
	}
	src, err := NewLDAPSource(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if f.conn, err = src.connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.conn.Close() })
	f.add(t, root, map[string][]string{"objectClass": {"organizationalUnit"},
		"ou": {strings.TrimPrefix(strings.Split(root, ",")[0], "ou=")}})
	t.Cleanup(func() { f.deleteTree(t, root) })
	f.add(t, f.people, map[string][]string{"objectClass": {"organizationalUnit"},
		"ou": {"people"}})
	f.add(t, f.grps, map[string][]string{"objectClass": {"organizationalUnit"},
		"ou": {"groups"}})
	return f
}

func (f *ldapFixture) add(t *testing.T, dn string, attrs map[string][]string) {
	t.Helper()
	req := ldap.NewAddRequest(dn, nil)
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		req.Attribute(k, attrs[k])
	}
	if err := f.conn.Add(req); err != nil {
		t.Fatalf("add %s: %v", dn, err)
	}
}

func (f *ldapFixture) person(t *testing.T, uid, dept string, extra ...string) string {
	t.Helper()
	dn := "uid=" + uid + "," + f.people
	attrs := map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {uid},
		"cn": {uid}, "sn": {uid}, "departmentNumber": {dept}}
	for i := 0; i+1 < len(extra); i += 2 {
		attrs[extra[i]] = append(attrs[extra[i]], extra[i+1])
	}
	f.add(t, dn, attrs)
	return dn
}

func (f *ldapFixture) group(t *testing.T, cn string, members ...string) string {
	t.Helper()
	dn := "cn=" + cn + "," + f.grps
	f.add(t, dn, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {cn},
		"member": members})
	return dn
}

// deleteTree removes root and everything beneath it, leaves first.
func (f *ldapFixture) deleteTree(t *testing.T, root string) {
	res, err := f.conn.Search(ldap.NewSearchRequest(root, ldap.ScopeWholeSubtree,
		ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"dn"}, nil))
	if err != nil {
		t.Errorf("clean up %s: %v", root, err)
		return
	}
	dns := make([]string, 0, len(res.Entries))
	for _, e := range res.Entries {
		dns = append(dns, e.DN)
	}
	depth := func(dn string) int { return strings.Count(dn, ",") }
	slices.SortFunc(dns, func(a, b string) int { return depth(b) - depth(a) })
	for _, dn := range dns {
		if err := f.conn.Del(ldap.NewDelRequest(dn, nil)); err != nil {
			t.Errorf("clean up %s: %v", dn, err)
		}
	}
}

// TestLDAPSource_LoadsAndReloads seeds people and groups, checks the
// entries (over several pages), then changes one person and one group and
// waits for the enricher's reload to show both.
func TestLDAPSource_LoadsAndReloads(t *testing.T) {
	f := newLDAPFixture(t)
	carol := f.person(t, "carol", "Finance")
	dave := f.person(t, "dave", "Sales", "employeeType", "VIP")
	erin := f.person(t, "erin", "Legal")
	var filler []string
	for i := range 9 {
		filler = append(filler, f.person(t, fmt.Sprintf("user%02d", i), "Ops"))
	}
	admins := f.group(t, "domain-admins", carol)
	f.group(t, "vips", erin)
	f.group(t, "ops", filler...)

	src, err := NewLDAPSource(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	en, err := New(Config{Reload: 20 * time.Millisecond}, src, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := en.Directory()
	check := func(user, dept string, vip bool, groups ...string) {
		t.Helper()
		e := d.User(user)
		if e == nil || e.Department != dept || e.VIP != vip || !slices.Equal(e.Groups, groups) {
			t.Errorf("%s: %+v; want department %s, vip %v, groups %v", user, e, dept, vip, groups)
		}
	}
	check("carol", "Finance", false, "domain-admins")
	check("CORP\\dave", "Sales", true)
	check("erin", "Legal", true, "vips")
	check("user08", "Ops", false, "ops")
	v1, err := src.Version()
	if err != nil {
		t.Fatal(err)
	}
	if v2, _ := src.Version(); v2 != v1 {
		t.Errorf("version changed without a change in the directory: %s, %s", v1, v2)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- en.Run(ctx) }()
	mod := ldap.NewModifyRequest(dave, nil)
	mod.Replace("departmentNumber", []string{"Legal"})
	if err := f.conn.Modify(mod); err != nil {
		t.Fatal(err)
	}
	grp := ldap.NewModifyRequest(admins, nil)
	grp.Add("member", []string{dave})
	if err := f.conn.Modify(grp); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		e := en.Directory().User("dave")
		if e != nil && e.Department == "Legal" &&
			slices.Equal(e.Groups, []string{"domain-admins"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dave after the change: %+v; want department Legal in domain-admins", e)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestLDAPSource_BadPassword fails to load and says so without the
// password.
func TestLDAPSource_BadPassword(t *testing.T) {
	f := newLDAPFixture(t)
	pw := "wrong-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Setenv("IOCFLOW_TEST_LDAP_BAD_PW", pw)
	c := f.cfg
	c.BindPasswordFile, c.BindPasswordEnv = "", "IOCFLOW_TEST_LDAP_BAD_PW"
	src, err := NewLDAPSource(c)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = src.Load()
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) ||
		strings.Contains(err.Error(), pw) {
		t.Errorf("Load with a wrong password: %v; want invalid credentials, password not shown",
			err)
	}
}

package enrich

import (
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

func TestLDAPConfig_Validate(t *testing.T) {
	var c LDAPConfig
	c.URL, c.StartTLS, c.VIPAttr, c.GroupBaseDN = "ldaps://dc.corp.example", true, "vip", "x"
	c.Defaults()
	c.Filter = "(objectClass=person"
	err := c.Validate("enrich.ldap")
	for _, key := range []string{"start_tls", "bind_dn", "bind_password_env", "base_dn",
		"group_base_dn", "filter", "vip_attr"} {
		if err == nil || !strings.Contains(err.Error(), "enrich.ldap."+key+":") {
			t.Errorf("Validate: %v; want a problem with enrich.ldap.%s", err, key)
		}
	}
	good := LDAPConfig{URL: "ldap://127.0.0.1:389", BindDN: "cn=reader,dc=corp",
		BindPasswordEnv: "LDAP_PW", BaseDN: "ou=people,dc=corp"}
	good.Defaults()
	if err := good.Validate("enrich.ldap"); err != nil {
		t.Errorf("Validate(%+v): %v, want none", good, err)
	}
}

// TestLDAPSource_Entry maps entries as Active Directory and OpenLDAP
// write them: groups from memberOf DNs and from group searches, VIP from a
// group given by CN or DN or from an attribute, addresses that parse.
func TestLDAPSource_Entry(t *testing.T) {
	c := LDAPConfig{VIPGroup: "CN=VIPs,OU=Groups,DC=corp", VIPAttr: "employeeType=vip",
		HostAttr: "host", IPAttr: "ipHostNumber"}
	c.Defaults()
	s := &LDAPSource{cfg: c}
	search := []groupRef{{name: "finance", key: dnKey("cn=finance,ou=groups,dc=corp")}}
	le := ldap.NewEntry("CN=Alice,OU=People,DC=corp", map[string][]string{
		"sAMAccountName": {"alice"}, "department": {"Finance"},
		"memberOf": {"CN=Domain Admins,CN=Users,DC=corp", "cn=vips, ou=groups, dc=corp"},
		"host":     {"WS-ALICE"}, "ipHostNumber": {"10.0.0.5", "not an address"},
	})
	e, ok := s.entry(le, search)
	want := Entry{User: "alice", Department: "Finance", VIP: true,
		Groups: []string{"Domain Admins", "finance", "vips"},
		Hosts:  []string{"WS-ALICE"}, IPs: []string{"10.0.0.5"}}
	if !ok || !entryEqual(e, want) {
		t.Errorf("entry = %+v, %v; want %+v", e, ok, want)
	}
	if len(search) != 1 {
		t.Errorf("the group index slice was changed: %v", search)
	}
	bob := ldap.NewEntry("cn=bob,dc=corp", map[string][]string{"sAMAccountName": {"bob"},
		"employeeType": {" VIP "}})
	if e, _ := s.entry(bob, nil); !e.VIP || len(e.Groups) != 0 {
		t.Errorf("bob = %+v, want VIP by attribute and no groups", e)
	}
	if _, ok := s.entry(ldap.NewEntry("cn=printer,dc=corp", nil), nil); ok {
		t.Error("an entry without a user name was mapped")
	}
}

func entryEqual(a, b Entry) bool {
	return a.User == b.User && a.Department == b.Department && a.VIP == b.VIP &&
		slices.Equal(a.Groups, b.Groups) && slices.Equal(a.Hosts, b.Hosts) &&
		slices.Equal(a.IPs, b.IPs)
}

func TestDNKey(t *testing.T) {
	if a, b := dnKey("CN=Domain Admins, OU=Groups,DC=Corp"),
		dnKey("cn=domain admins,ou=groups,dc=corp"); a != b {
		t.Errorf("dnKey: %q != %q", a, b)
	}
	if got := dnName("cn=Domain Admins,ou=Groups,dc=corp"); got != "Domain Admins" {
		t.Errorf("dnName = %q, want Domain Admins", got)
	}
}

func TestReadSecret_NeverShowsTheValue(t *testing.T) {
	t.Setenv("IOCFLOW_TEST_LDAP_PW", "")
	_, err := readSecret("IOCFLOW_TEST_LDAP_PW", "")
	if err == nil || !strings.Contains(err.Error(), "IOCFLOW_TEST_LDAP_PW") {
		t.Errorf("empty env: %v, want an error naming the variable", err)
	}
	t.Setenv("IOCFLOW_TEST_LDAP_PW", "s3cret")
	if v, err := readSecret("IOCFLOW_TEST_LDAP_PW", ""); v != "s3cret" || err != nil {
		t.Errorf("readSecret = %q, %v", v, err)
	}
}

package ldapgroup

import (
	"strings"
	"testing"
)

func TestConfig_ValidateReportsEveryProblem(t *testing.T) {
	c := Config{URL: "http://dc1", GroupDN: "not a dn"}
	c.Defaults()
	err := c.Validate("ldap")
	for _, want := range []string{"ldap.url", "ldap.bind_dn", "ldap.bind_password_env",
		"ldap.group_dn", "ldap.user_base_dn"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want a problem at %s", err, want)
		}
	}
	if c.UserAttr != "sAMAccountName" || c.MemberAttr != "member" {
		t.Errorf("defaults: %+v", c)
	}
}

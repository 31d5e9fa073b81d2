//go:build integration

package ldapgroup

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/iocflow/iocflow/enforce"
)

// These tests run against the scratch slapd that deploy/ldap.sh starts on
// loopback; deploy/test.sh sources its env file first.
func config(t *testing.T) Config {
	t.Helper()
	c := Config{Name: "ldap", URL: os.Getenv("IOCFLOW_LDAP_URL"),
		BindDN: os.Getenv(
			"IOCFLOW_LDAP_BIND_DN",
		), BindPasswordFile: os.Getenv("IOCFLOW_LDAP_PASSWORD_FILE"),
		GroupDN: os.Getenv("IOCFLOW_LDAP_GROUP"), UserBaseDN: os.Getenv("IOCFLOW_LDAP_BASE"),
		UserAttr: "uid"}
	if c.URL == "" {
		t.Fatal(
			"IOCFLOW_LDAP_URL not set: start slapd with deploy/ldap.sh start " +
				"and source its env file",
		)
	}
	c.Defaults()
	if err := c.Validate("ldap"); err != nil {
		t.Fatal(err)
	}
	return c
}

// members reads the group's member values straight from the directory.
func members(t *testing.T, c Config) []string {
	t.Helper()
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := a.connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := conn.Search(ldap.NewSearchRequest(c.GroupDN, ldap.ScopeBaseObject,
		ldap.NeverDerefAliases, 1, 0, false, "(objectClass=*)", []string{"member"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return res.Entries[0].GetAttributeValues("member")
}

func TestLDAP_AddReadBackRemove(t *testing.T) {
	c := config(t)
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	alice := enforce.Target{Kind: enforce.RestrictUser, Value: "alice"}
	rec, err := a.Apply(ctx, enforce.Request{ID: "a1", Target: alice})
	if err != nil {
		t.Fatal(err)
	}
	wantDN := "uid=alice," + c.UserBaseDN
	if rec.Ref != wantDN || !slices.Contains(members(t, c), wantDN) {
		t.Fatalf(
			"after Apply: ref %q, members %v; want %s in the group",
			rec.Ref,
			members(t, c),
			wantDN,
		)
	}
	if _, err := a.Apply(ctx, enforce.Request{ID: "a1", Target: alice}); err != nil {
		t.Errorf("second Apply: %v; a member already there counts as done", err)
	}
	held, err := a.Held(ctx)
	if err != nil || len(held) != 1 || held[0] != alice {
		t.Errorf("Held = %v, %v; want only alice (not the schema placeholder)", held, err)
	}
	if _, err := a.Remove(ctx, enforce.Request{ID: "a1", Target: alice, Ref: rec.Ref}); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(members(t, c), wantDN) {
		t.Error("alice still a member after Remove")
	}
	if _, err := a.Remove(ctx, enforce.Request{ID: "a1", Target: alice}); err != nil {
		t.Errorf("second Remove: %v; a member already gone counts as done", err)
	}
	_, err = a.Apply(
		ctx,
		enforce.Request{Target: enforce.Target{Kind: enforce.RestrictUser, Value: "nobody*)"}},
	)
	var de *enforce.DeviceError
	if !errors.As(err, &de) || !de.Permanent {
		t.Errorf("unknown user: %v, want a permanent error", err)
	}
}

func TestLDAP_WrongPasswordIsPermanent(t *testing.T) {
	c := config(t)
	f := t.TempDir() + "/pw"
	if err := os.WriteFile(f, []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.BindPasswordFile = f
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Apply(context.Background(), enforce.Request{
		Target: enforce.Target{Kind: enforce.RestrictUser, Value: "bob"}})
	var de *enforce.DeviceError
	if !errors.As(err, &de) || !de.Permanent {
		t.Errorf("wrong password: %v, want a permanent error", err)
	}
}

// The whole path against the real directory: a finding restricts bob, the
// time to live ends, and bob is a member no more.
func TestLDAP_ServiceRestrictsAndExpires(t *testing.T) {
	c := config(t)
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	audit, err := enforce.OpenFileAudit(t.TempDir() + "/audit.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	svc, err := enforce.New(
		enforce.Options{Now: clock, Audit: audit, Adapters: []enforce.Adapter{a},
			Config: enforce.Config{StateFile: t.TempDir() + "/state.json", Policy: enforce.Policy{
				Rules: []enforce.Rule{{Name: "restrict", Action: enforce.RestrictUser,
					Mode: enforce.ModeAutomatic, TTL: enforce.Duration(time.Hour),
					Adapters: []string{"ldap"}}}}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.Submit(ctx, []enforce.Finding{{User: "bob"}}); err != nil {
		t.Fatal(err)
	}
	svc.Tick(ctx)
	bobDN := "uid=bob," + c.UserBaseDN
	if !slices.Contains(members(t, c), bobDN) {
		t.Fatalf("bob not restricted: members %v", members(t, c))
	}
	now = now.Add(time.Hour)
	svc.Tick(ctx)
	if slices.Contains(members(t, c), bobDN) {
		t.Errorf("bob still restricted after the TTL: members %v", members(t, c))
	}
}

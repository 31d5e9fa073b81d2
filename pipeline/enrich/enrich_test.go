package enrich

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/event"
)

const dirCSV = `user,department,groups,vip,hosts,ips
CORP\alice,Finance,finance;domain-admins,true,WS-ALICE,10.0.0.5
bob,Sales,,false,ws-bob.corp.example,
`

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDirectory_LookupForms(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dir.csv")
	writeFile(t, p, dirCSV)
	d, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		got  *Entry
		want string
	}{
		{d.User("alice"), "Finance"}, {d.User("ALICE@corp.example"), "Finance"},
		{d.Host("ws-alice.corp.example"), "Finance"},
		{d.IP(netip.MustParseAddr("::ffff:10.0.0.5")), "Finance"},
		{d.Host("WS-BOB"), "Sales"}, {d.User("carol"), ""},
	}
	for i, c := range cases {
		got := ""
		if c.got != nil {
			got = c.got.Department
		}
		if got != c.want {
			t.Errorf("case %d: department %q, want %q", i, got, c.want)
		}
	}
}

func TestDirectory_BadInput(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"badvip.csv":  "user,department,groups,vip,hosts,ips\nx,y,,maybe,,\n",
		"header.csv":  "name,dept\n",
		"badip.json":  `[{"user":"x","ips":["10.0.0.300"]}]`,
		"broken.json": `[{"user":`,
	} {
		p := filepath.Join(dir, name)
		writeFile(t, p, content)
		if _, err := LoadFile(p); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
}

func TestEnricher_ReloadsOnChange(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dir.json")
	writeFile(t, p, `[{"user":"alice","department":"Finance"}]`)
	e, err := New(Config{Reload: 10 * time.Millisecond}, FileSource{Path: p}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	writeFile(t, p, `[{"user":"alice","department":"Legal","vip":true}]`)
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, future, future); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ent := e.Directory().User("alice"); ent != nil && ent.Department == "Legal" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("directory not reloaded after the file changed")
}

func TestBindings_Expire(t *testing.T) {
	b := NewBindings(time.Hour)
	a := netip.MustParseAddr("10.1.2.3")
	t0 := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	b.Learn(a, `CORP\bob`, "ws-bob", t0)
	if u, h, ok := b.Lookup(a, t0.Add(59*time.Minute)); !ok || u != `CORP\bob` || h != "ws-bob" {
		t.Errorf("within ttl: %q %q %v", u, h, ok)
	}
	if _, _, ok := b.Lookup(a, t0.Add(time.Hour)); ok {
		t.Error("binding still valid at expiry")
	}
	b.Purge(t0.Add(2 * time.Hour))
	if _, ok := b.m.Load(a); ok {
		t.Error("expired binding not purged")
	}
}

// writeMMDB builds a small database with the given records per network.
func writeMMDB(t *testing.T, dbType string, recs map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, m := range recs {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, m); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return p
}

func testGeo(t *testing.T) *GeoDB {
	country := writeMMDB(t, "GeoLite2-Country", map[string]mmdbtype.Map{
		"81.2.69.0/24": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("GB")}},
	})
	asn := writeMMDB(t, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"81.2.69.0/24": {"autonomous_system_number": mmdbtype.Uint32(20712),
			"autonomous_system_organization": mmdbtype.String("Andrews & Arnold Ltd")},
	})
	g, err := OpenGeo(country, asn, 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g
}

func TestGeoDB_LookupAndCache(t *testing.T) {
	g := testGeo(t)
	want := Geo{Country: "GB", ASN: 20712, ASOrg: "Andrews & Arnold Ltd"}
	a := netip.MustParseAddr("81.2.69.143")
	if got := g.Lookup(a); got != want {
		t.Fatalf("Lookup(%v) = %+v, want %+v", a, got, want)
	}
	g.Wait()
	for i := 0; i < 9; i++ {
		if got := g.Lookup(a); got != want {
			t.Fatalf("cached Lookup = %+v, want %+v", got, want)
		}
	}
	if r := g.HitRatio(); r < 0.8 {
		t.Errorf("hit ratio %.2f after 1 miss and 9 repeats, want >= 0.8", r)
	}
	if got := g.Lookup(netip.MustParseAddr("10.0.0.1")); got != (Geo{}) {
		t.Errorf("private address has geo %+v", got)
	}
}

func TestEnricher_EventAndAnnotate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "dir.csv")
	writeFile(t, p, dirCSV)
	b := NewBindings(time.Hour)
	now := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	b.Learn(netip.MustParseAddr("10.9.9.9"), "bob", "ws-bob", now.Add(-time.Minute))
	e, err := New(Config{CriticalGroups: []string{"Domain-Admins"}}, FileSource{Path: p}, b,
		testGeo(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	remote := ioc.Observable{Type: ioc.IPv4, Value: "81.2.69.143", Field: "dest_ip"}
	cases := []struct {
		name string
		ev   event.Event
		want Annotation
	}{
		{"user named by the record, VIP in a critical group",
			event.Event{User: `CORP\alice`, Observables: []ioc.Observable{remote}},
			Annotation{User: `CORP\alice`, Department: "Finance",
				Groups: []string{"finance", "domain-admins"}, VIP: true, Priority: 5,
				Geo: Geo{Country: "GB", ASN: 20712, ASOrg: "Andrews & Arnold Ltd"}}},
		{"user learned from the address binding",
			event.Event{Observables: []ioc.Observable{{Type: ioc.IPv4, Value: "10.9.9.9",
				Field: "src_ip"}, remote}},
			Annotation{User: "bob", Host: "ws-bob", Department: "Sales", Priority: 3,
				Geo: Geo{Country: "GB", ASN: 20712, ASOrg: "Andrews & Arnold Ltd"}}},
		{"static address from the directory",
			event.Event{Observables: []ioc.Observable{{Type: ioc.IPv4, Value: "10.0.0.5",
				Field: "src_ip"}}},
			Annotation{User: `CORP\alice`, Host: "WS-ALICE", Department: "Finance",
				Groups: []string{"finance", "domain-admins"}, VIP: true, Priority: 5}},
		{"nobody known; geo of the matched remote address",
			event.Event{}, Annotation{Priority: 3,
				Geo: Geo{Country: "GB", ASN: 20712, ASOrg: "Andrews & Arnold Ltd"}}},
	}
	for _, c := range cases {
		ev := c.ev
		e.Event(&ev, now)
		o := remote
		if len(ev.Observables) == 1 && ev.Observables[0].Value == "10.0.0.5" {
			o = ev.Observables[0]
		}
		got := e.Annotate(&ev, o, 3)
		if got.User != c.want.User || got.Host != c.want.Host ||
			got.Department != c.want.Department || got.VIP != c.want.VIP ||
			got.Priority != c.want.Priority || got.Geo != c.want.Geo ||
			len(got.Groups) != len(c.want.Groups) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

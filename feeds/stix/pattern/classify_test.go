package pattern

import (
	"strings"
	"testing"
)

func TestClassify_Kinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		src    string
		kind   ShapeKind
		comps  int
		reason string
	}{
		{`[ipv4-addr:value = '1.2.3.4']`, Atomic, 1, "single comparison"},
		{`[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8') OR ipv4-addr:value ISSUBSET '10.0.0.0/8']`,
			Atomic, 2, "OR of 2"},
		{`[ipv4-addr:value = '1.2.3.4' OR ipv6-addr:value = '::1']`,
			Unsupported, 0, "2 object types"},
		{`[ipv4-addr:value NOT = '1.2.3.4']`, Unsupported, 0, "negated"},
		{`[ipv4-addr:value != '1.2.3.4']`, Unsupported, 0, "!="},
		{`[url:value = 'a' OR url:value LIKE 'b%']`, Evaluable, 2, "LIKE"},
		{`[url:value MATCHES '^a']`, Evaluable, 1, "MATCHES"},
		{`[url:value NOT MATCHES '^a']`, Unsupported, 0, "negated"},
		{`[file:size = 10 AND (file:name = 'a' OR file:name = 'b')]`, Conjunction, 3, "AND of 3"},
		{`[file:name = 'a' OR (file:name = 'b' AND file:size = 1)]`, Conjunction, 3, "AND"},
		{`[file:name = 'a' AND file:size > 1]`, Unsupported, 0, "ordering"},
		{`[ipv4-addr:value ISSUPERSET '10.0.0.0/8']`, Unsupported, 0, "ISSUPERSET"},
		{`[EXISTS file:name]`, Unsupported, 0, "EXISTS"},
		{`[file:name = 'a'] OR [file:name = 'b']`, Unsupported, 0, "2 observations joined by OR"},
		{`[file:name = 'a'] WITHIN 5 SECONDS`, Unsupported, 0, "WITHIN"},
		{`[file:name = 'a'] REPEATS 2 TIMES`, Unsupported, 0, "REPEATS"},
		{`[file:name = 'a'] START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'`,
			Unsupported, 0, "START/STOP"},
		{`([file:name = 'a'] WITHIN 5 SECONDS) FOLLOWEDBY [file:name = 'b']`,
			Unsupported, 0, "FOLLOWEDBY"},
	}
	for _, c := range cases {
		s := MustParse(c.src).Classify()
		if s.Kind != c.kind || len(s.Comparisons) != c.comps ||
			!strings.Contains(s.Reason, c.reason) {
			t.Errorf("Classify(%q) = %v, %d comparisons, %q; want %v, %d, reason containing %q",
				c.src, s.Kind, len(s.Comparisons), s.Reason, c.kind, c.comps, c.reason)
		}
		if (s.Kind == Unsupported) != (s.ObjectType == "") {
			t.Errorf("Classify(%q).ObjectType = %q with kind %v", c.src, s.ObjectType, s.Kind)
		}
	}
}

func TestClassify_ComparisonsInSourceOrder(t *testing.T) {
	t.Parallel()
	s := MustParse(`[(file:name = 'pdf.exe' OR file:size = '371712') AND ` +
		`file:created = t'2014-01-13T07:03:17Z']`).Classify()
	var got []string
	for _, c := range s.Comparisons {
		got = append(got, c.Path.Key())
	}
	if want := "name size created"; strings.Join(got, " ") != want || s.ObjectType != "file" {
		t.Errorf("comparisons = %v on %q, want %s on file", got, s.ObjectType, want)
	}
}

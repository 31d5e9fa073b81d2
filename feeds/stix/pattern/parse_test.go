package pattern

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// readLines returns the non-empty lines of a testdata file.
func readLines(tb testing.TB, name string) []string {
	tb.Helper()
	f, err := os.Open(name)
	if err != nil {
		tb.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", name, err)
	}
	return lines
}

// checkRoundTrip asserts that p's canonical text parses to an equal tree and
// renders identically.
func checkRoundTrip(tb testing.TB, src string, p *Pattern) {
	tb.Helper()
	text := p.String()
	q, err := Parse(text)
	if err != nil {
		tb.Fatalf("Parse(%q).String() = %q does not parse: %v", src, text, err)
	}
	if !p.Equal(q) {
		tb.Fatalf("Parse(%q): re-parsing %q gives a different tree", src, text)
	}
	if again := q.String(); again != text {
		tb.Fatalf("Parse(%q): String not stable: %q then %q", src, text, again)
	}
}

func TestParse_SpecExamples(t *testing.T) {
	t.Parallel()
	want := []struct {
		kind  ShapeKind
		comps int
	}{
		{Atomic, 1}, {Evaluable, 2}, {Conjunction, 2}, {Unsupported, 0},
		{Unsupported, 0}, {Unsupported, 0}, {Evaluable, 2}, {Conjunction, 2},
		{Unsupported, 0}, {Conjunction, 2}, {Conjunction, 2}, {Unsupported, 0},
		{Conjunction, 2}, {Atomic, 2}, {Conjunction, 2}, {Atomic, 2},
		{Conjunction, 3}, {Conjunction, 2}, {Atomic, 1}, {Unsupported, 0},
		{Atomic, 1}, {Unsupported, 0}, {Atomic, 1},
	}
	lines := readLines(t, "testdata/spec_examples_v21.txt")
	if len(lines) != len(want) {
		t.Fatalf("testdata has %d examples, want %d", len(lines), len(want))
	}
	for i, src := range lines {
		p, err := Parse(src)
		if err != nil {
			t.Errorf("example %d: Parse(%q): %v", i+1, src, err)
			continue
		}
		checkRoundTrip(t, src, p)
		s := p.Classify()
		if s.Kind != want[i].kind || len(s.Comparisons) != want[i].comps {
			t.Errorf("example %d: Classify(%q) = %v with %d comparisons (%s), want %v with %d",
				i+1, src, s.Kind, len(s.Comparisons), s.Reason, want[i].kind, want[i].comps)
		}
	}
}

// TestParse_SharedCorpus parses every "pattern" field of the shared STIX
// sample bundles when they are present; the samples live outside the module.
func TestParse_SharedCorpus(t *testing.T) {
	t.Parallel()
	files, _ := filepathGlob("/work/shared/corpus/stix/*/*.json")
	if len(files) == 0 {
		t.Skip("shared STIX corpus not present")
	}
	n := 0
	for _, name := range files {
		for _, src := range jsonPatterns(t, name) {
			n++
			p, err := Parse(src)
			if err != nil {
				t.Errorf("%s: Parse(%q): %v", name, src, err)
				continue
			}
			checkRoundTrip(t, src, p)
		}
	}
	if n == 0 {
		t.Error("shared corpus holds no patterns")
	}
}

func TestParse_FeedPatterns(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`[domain-name:value = 'circl.lu' AND ` +
			`domain-name:resolves_to_refs[*].value = '149.13.33.14']`,
		`[email-message:subject MATCHES '^[IMPORTANT] Please Review Before']`,
		`[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`,
		`[ipv4-addr:value = '10.0.0.0']`,
		`[url:value = 'http://x4z9arb.cn/4712/']`,
		`[file:name = 'test_file_name']`,
		`[ipv4-addr:value IN ('198.51.100.1', '203.0.113.0/24')]`,
		`[x:a = 1] START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z'`,
		"[x:a\t=\n1]/* c */ // line comment",
		`[x:a = 1]` + "\u00a0\u3000",
		`[windows-registry-key:values[*].name = 'x' AND EXISTS windows-registry-key:values]`,
	} {
		p, err := Parse(src)
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		checkRoundTrip(t, src, p)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Builders for expected trees; offsets are ignored by Equal.
func obs(c CompExpr) *Observation { return &Observation{Comparison: c} }
func obsBin(op ObsOp, l, r ObservationExpr) *ObservationBinary {
	return &ObservationBinary{Op: op, Left: l, Right: r}
}
func qual(e ObservationExpr, q Qualifier) *Qualified { return &Qualified{Expr: e, Qualifier: q} }
func compBin(op CompOp, l, r CompExpr) *CompBinary {
	return &CompBinary{Op: op, Left: l, Right: r}
}
func cmp(path Path, op Operator, v Literal) *Comparison {
	return &Comparison{Path: path, Op: op, Value: v}
}
func path(typ string, keys ...any) Path {
	p := Path{ObjectType: typ}
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			p.Steps = append(p.Steps, Step{Kind: KeyStep, Key: k})
		case int:
			p.Steps = append(p.Steps, Step{Kind: IndexStep, Index: k})
		default:
			p.Steps = append(p.Steps, Step{Kind: AnyIndexStep})
		}
	}
	return p
}
func str(s string) Literal    { return Literal{Kind: String, Str: s} }
func integer(n int64) Literal { return Literal{Kind: Int, Int: n} }

// anyIndex marks a [*] step in path().
type anyIndex struct{}

func TestParse_AST(t *testing.T) {
	t.Parallel()
	xa, xb, xc := path("x", "a"), path("x", "b"), path("x", "c")
	one, two, three := integer(1), integer(2), integer(3)
	cases := []struct {
		src  string
		want ObservationExpr
	}{
		{`[x:a = 1 OR x:b = 2 AND x:c = 3]`, obs(compBin(CompOr, cmp(xa, Equal, one),
			compBin(CompAnd, cmp(xb, Equal, two), cmp(xc, Equal, three))))},
		{`[(x:a = 1 OR x:b = 2) AND x:c = 3]`, obs(compBin(CompAnd,
			compBin(CompOr, cmp(xa, Equal, one), cmp(xb, Equal, two)), cmp(xc, Equal, three)))},
		{`[x:a = 1 AND x:b = 2 AND x:c = 3]`, obs(compBin(CompAnd,
			compBin(CompAnd, cmp(xa, Equal, one), cmp(xb, Equal, two)), cmp(xc, Equal, three)))},
		{`[x:a = 1] FOLLOWEDBY [x:b = 2] OR [x:c = 3] AND [x:a = 1]`,
			obsBin(ObsFollowedBy, obs(cmp(xa, Equal, one)), obsBin(ObsOr, obs(cmp(xb, Equal, two)),
				obsBin(ObsAnd, obs(cmp(xc, Equal, three)), obs(cmp(xa, Equal, one)))))},
		{`([x:a = 1] OR [x:b = 2]) AND [x:c = 3]`, obsBin(ObsAnd,
			obsBin(ObsOr, obs(cmp(xa, Equal, one)), obs(cmp(xb, Equal, two))),
			obs(cmp(xc, Equal, three)))},
		{`[x:a = 1] REPEATS 5 TIMES WITHIN 1800 SECONDS`,
			qual(qual(obs(cmp(xa, Equal, one)), Repeats{Times: 5}), Within{Seconds: 1800})},
		{`[x:a = 1] AND [x:b = 2] WITHIN 2.5 SECONDS`, obsBin(ObsAnd, obs(cmp(xa, Equal, one)),
			qual(obs(cmp(xb, Equal, two)), Within{Seconds: 2.5}))},
		{`[x:a = 1] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.123456789012Z'`,
			qual(obs(cmp(xa, Equal, one)), StartStop{Start: mustTime("2016-06-01T00:00:00Z"),
				Stop: mustTime("2016-07-01T00:00:00.123456789Z")})},
		{`[file:hashes.'SHA-256' = 'aa']`,
			obs(cmp(path("file", "hashes", "SHA-256"), Equal, str("aa")))},
		{`[file:'name' == 'a']`, obs(cmp(path("file", "name"), Equal, str("a")))},
		{`[x:a[*].b[-1].'c d'[7] <> 'v']`,
			obs(cmp(path("x", "a", anyIndex{}, "b", -1, "c d", 7), NotEqual, str("v")))},
		{`[x:a NOT IN (1, 'two', 3.5, true)]`, obs(&Comparison{Path: xa, Negated: true, Op: In,
			Set: []Literal{one, str("two"), {Kind: Float, Float: 3.5}, {Kind: Bool, Bool: true}}})},
		{`[x:a IN ()]`, obs(&Comparison{Path: xa, Op: In, Set: []Literal{}})},
		{`[x:a = 'it\'s a \\ path']`, obs(cmp(xa, Equal, str(`it's a \ path`)))},
		{`[x:a = '']`, obs(cmp(xa, Equal, str("")))},
		{`[x:a = +42]`, obs(cmp(xa, Equal, integer(42)))},
		{`[x:a >= -7]`, obs(cmp(xa, GreaterEqual, integer(-7)))},
		{`[x:a < -.5]`, obs(cmp(xa, Less, Literal{Kind: Float, Float: -0.5}))},
		{`[x:a != false]`, obs(cmp(xa, NotEqual, Literal{Kind: Bool}))},
		{`[x:a <= t'2014-01-13T07:03:17.5Z']`,
			obs(cmp(xa, LessEqual,
				Literal{Kind: Timestamp, Time: mustTime("2014-01-13T07:03:17.5Z")}))},
		{`[x:a = h'FFd8']`, obs(cmp(xa, Equal, Literal{Kind: Hex, Bytes: []byte{0xff, 0xd8}}))},
		{`[x:a = h'']`, obs(cmp(xa, Equal, Literal{Kind: Hex, Bytes: []byte{}}))},
		{`[x:a = b'aGk=']`, obs(cmp(xa, Equal, Literal{Kind: Binary, Bytes: []byte("hi")}))},
		{`[x:a LIKE 'foo%' AND x:b MATCHES'^x$']`, obs(compBin(CompAnd,
			cmp(xa, Like, str("foo%")), cmp(xb, Matches, str("^x$"))))},
		{`[x:a ISSUBSET '10.0.0.0/8' OR x:a NOT ISSUPERSET '10.0.0.0/8']`, obs(compBin(CompOr,
			cmp(xa, IsSubset, str("10.0.0.0/8")),
			&Comparison{Path: xa, Negated: true, Op: IsSuperset, Value: str("10.0.0.0/8")}))},
		{`[EXISTS x:a.b AND x:c>1]`, obs(compBin(CompAnd, &Exists{Path: path("x", "a", "b")},
			cmp(xc, Greater, one)))},
		{`((([x:a=1])))`, obs(cmp(xa, Equal, one))},
	}
	for _, c := range cases {
		p, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		if want := (&Pattern{Expr: c.want}); !p.Equal(want) {
			t.Errorf("Parse(%q) = %s, want %s", c.src, p, want)
		}
		checkRoundTrip(t, c.src, p)
	}
}

func TestParse_Offsets(t *testing.T) {
	t.Parallel()
	src := `[x:a = 1] AND [x:b NOT IN ('é', 2)] WITHIN 5 SECONDS`
	p := MustParse(src)
	and := p.Expr.(*ObservationBinary)
	q := and.Right.(*Qualified)
	c := q.Expr.(*Observation).Comparison.(*Comparison)
	got := []int{and.Offset, and.OpOffset, q.Offset, q.QualifierOffset, c.Offset, c.OpOffset,
		c.Set[1].Offset}
	want := []int{0, 10, 14, 37, 15, 23, 33}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("offsets of %q = %v, want %v", src, got, want)
			break
		}
	}
}

func TestString_Canonical(t *testing.T) {
	t.Parallel()
	cases := []struct{ src, want string }{
		{`[x:a=1]`, `[x:a = 1]`},
		{`[x:'a'.'b c'.'MD5' == 'v']`, `[x:a.'b c'.MD5 = 'v']`},
		{`[x:'IN' = 1 AND x:'true' = 2]`, `[x:'IN' = 1 AND x:'true' = 2]`},
		{`[x:a <> +1.50]`, `[x:a != 1.5]`},
		{`[x:a = 7.0]`, `[x:a = 7.0]`},
		{`[x:a = h'FFD8' OR x:b = b'aGk=']`, `[x:a = h'ffd8' OR x:b = b'aGk=']`},
		{`[x:a = t'2014-01-13T07:03:17.500Z']`, `[x:a = t'2014-01-13T07:03:17.5Z']`},
		{`[x:a = 1] WITHIN 300.0 SECONDS`, `[x:a = 1] WITHIN 300 SECONDS`},
		{`([x:a=1] AND [x:b=2]) WITHIN 1 SECONDS`, `([x:a = 1] AND [x:b = 2]) WITHIN 1 SECONDS`},
		{`[x:a=1] AND ([x:b=2] AND [x:c=3])`, `[x:a = 1] AND ([x:b = 2] AND [x:c = 3])`},
		{`([x:a=1] AND [x:b=2]) AND [x:c=3]`, `[x:a = 1] AND [x:b = 2] AND [x:c = 3]`},
		{`([x:a=1] FOLLOWEDBY [x:b=2]) OR [x:c=3]`,
			`([x:a = 1] FOLLOWEDBY [x:b = 2]) OR [x:c = 3]`},
		{`[(x:a=1 OR x:b=2) AND x:c=3]`, `[(x:a = 1 OR x:b = 2) AND x:c = 3]`},
		{`[x:a = 'q\'\\']`, `[x:a = 'q\'\\']`},
		{`[x:a = 1] START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z'`,
			`[x:a = 1] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`},
	}
	for _, c := range cases {
		p, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		if got := p.String(); got != c.want {
			t.Errorf("Parse(%q).String() = %q, want %q", c.src, got, c.want)
		}
	}
}

func TestPath_StringAndKey(t *testing.T) {
	t.Parallel()
	cases := []struct{ src, str, key string }{
		{`[file:hashes.'SHA-256' = 'x']`, `file:hashes.'SHA-256'`, `hashes.'SHA-256'`},
		{`[network-traffic:dst_ref.value = 'x']`, `network-traffic:dst_ref.value`, `dst_ref.value`},
		{`[email-message:body_multipart[*].body_raw_ref.name = 'x']`,
			`email-message:body_multipart[*].body_raw_ref.name`,
			`body_multipart[*].body_raw_ref.name`},
	}
	for _, c := range cases {
		path := MustParse(c.src).Expr.(*Observation).Comparison.(*Comparison).Path
		if path.String() != c.str || path.Key() != c.key {
			t.Errorf("path of %q: String() = %q, Key() = %q; want %q, %q",
				c.src, path.String(), path.Key(), c.str, c.key)
		}
	}
}

// errorCases are inputs Parse must reject, with the 1-based column and a
// fragment of the message. FuzzParse uses the inputs as seeds.
var errorCases = []struct {
	src    string
	column int
	msg    string
}{
	{``, 1, "empty pattern"},
	{"  \t", 4, "empty pattern"},
	{`[ipv4-addr:value = '1.2.3.4'] within 300 SECONDS`, 31,
		`found "within"; keywords are upper-case (WITHIN)`},
	{`[file:name = 'abc]`, 14, "unterminated string literal"},
	{`[file:name = 'a\nb']`, 16, `invalid escape \n in string literal`},
	{`[file:name = 'a'`, 17, `expected ']' after comparison expression, found end of input`},
	{`[file:name = 'a' 'b']`, 18, `expected ']' after comparison expression, found "'b'"`},
	{`[file:created = t'2014-13-01T00:00:00Z']`, 24, "month out of range"},
	{`[file:created = t'2014-02-30T00:00:00Z']`, 27, "day out of range"},
	{`[file:created = t'2014-01-01 00:00:00Z']`, 29, "want form"},
	{`[file:created = t'2014-01-01T00:00:00+01:00']`, 38, "must end in 'Z'"},
	{`[file:created = t'2014-01-01T00:00:00.Z']`, 39, "missing fraction digits"},
	{`[file:name = 'a'] xyz`, 19,
		`expected AND, OR, FOLLOWEDBY, a qualifier or end of pattern, found "xyz"`},
	{`[ipv4-addr:value = ]`, 20, `expected literal after '=', found "]"`},
	{`[]`, 2, `expected object path, '(' or EXISTS, found "]"`},
	{`[x:a = 1] AND`, 14, "expected '[' or '(' to start an observation expression"},
	{`[x:a = TRUE]`, 8, "booleans are lower-case (true)"},
	{`[x:a and x:b]`, 6, `found "and"; keywords are upper-case (AND)`},
	{`[x:a-b = 1]`, 5, "property name \"a-b\" contains '-'"},
	{`[x = 1]`, 4, "expected ':' after object type"},
	{`[x:a NOT EXISTS]`, 10, "expected comparison operator"},
	{`[NOT EXISTS x:a]`, 2, "NOT goes after the path"},
	{`[x:a LIKE 5]`, 11, "expected string literal after LIKE"},
	{`[x:a < true]`, 8, "expected orderable literal after '<'"},
	{`[x:a = 007]`, 8, "leading zero"},
	{`[x:a = 99999999999999999999]`, 8, "out of range"},
	{`[x:a = h'abc']`, 10, "odd number of digits"},
	{`[x:a = h'zz']`, 10, `"z" is not a hex digit`},
	{`[x:a = b'']`, 10, "non-zero multiple of 4"},
	{`[x:a = b'a=bc']`, 11, `"=" is not allowed in base64`},
	{`[x:a = t'2014']`, 14, "incomplete"},
	{`[x:a = t'2014]`, 8, "unterminated timestamp literal"},
	{`[x:a = 1] WITHIN 0 SECONDS`, 18, "positive number of seconds"},
	{`[x:a = 1] WITHIN 5 TIMES`, 20, "expected SECONDS"},
	{`[x:a = 1] REPEATS -1 TIMES`, 19, "positive integer after REPEATS"},
	{`[x:a = 1] REPEATS 2.5 TIMES`, 19, "positive integer after REPEATS"},
	{`[x:a = 1] START t'2016-01-01T00:00:00Z'`, 40, "STOP after START"},
	{`[x:a = 1] START '2016-01-01' STOP '2016-01-02'`, 28, "incomplete"},
	{`[x:a IN (1 2)]`, 12, "',' or ')' in IN set"},
	{`[x:a[x] = 1]`, 6, "list index or '*'"},
	{`[x:a = 1] /* open`, 11, "unterminated comment"},
	{`[x:a = 'é'] ¤`, 13, `found "¤"`},
	{`[x:a = 1] ! [x:b = 2]`, 11, `found "!"`},
	{`[x:a = '` + strings.Repeat("y", 60) + `' ]]`, 72, `found "]"`},
	{strings.Repeat("(", 300) + `[x:a = 1]`, 201, "nested too deeply"},
	{`[x:a = '` + strings.Repeat("z", 60) + `']x`, 71, `found "x"`},
	{`[x:a = 1] x` + strings.Repeat("y", 60), 11,
		`found "x` + strings.Repeat("y", 39) + `..."`},
}

func TestParse_Errors(t *testing.T) {
	t.Parallel()
	for _, c := range errorCases {
		p, err := Parse(c.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, %v; want a *SyntaxError", c.src, p, err)
			continue
		}
		if se.Column != c.column || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("Parse(%q) error = column %d %q; want column %d containing %q",
				c.src, se.Column, se.Msg, c.column, c.msg)
		}
		if want := "pattern: column "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%q) error %q lacks prefix %q", c.src, err, want)
		}
	}
}

func TestSyntaxError_Error(t *testing.T) {
	t.Parallel()
	_, err := Parse(`[x:a = 1] within 300 SECONDS`)
	want := `pattern: column 11: expected AND, OR, FOLLOWEDBY, a qualifier or end of pattern, ` +
		`found "within"; keywords are upper-case (WITHIN)`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	var se *SyntaxError
	if errors.As(err, &se) && se.Offset != 10 {
		t.Errorf("Offset = %d, want 10", se.Offset)
	}
}

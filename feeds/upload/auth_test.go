package upload

import (
	"strings"
	"testing"
)

const (
	curatorToken = "curator-token-0123456789"
	viewerToken  = "viewer-token-0123456789"
)

func testTokens(t testing.TB) *Tokens {
	t.Helper()
	tk, err := ParseTokens(strings.NewReader("# tokens\n" + curatorToken + " curator\n\n" +
		viewerToken + " viewer\n"))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestTokens_Role(t *testing.T) {
	t.Parallel()
	tk := testTokens(t)
	cases := map[string]Role{
		curatorToken: RoleCurator, viewerToken: RoleViewer, "": RoleNone,
		curatorToken + "x": RoleNone, curatorToken[:20]: RoleNone, "curator": RoleNone,
	}
	for token, want := range cases {
		if got := tk.Role(token); got != want {
			t.Errorf("Role(%q) = %s, want %s", token, got, want)
		}
	}
}

func TestParseTokens_ErrorsNeverShowTokens(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"secret-but-no-role-1234":             `line 1: want "token role"`,
		"secret-with-bad-role-1234 admin":     "line 1: role must be curator or viewer",
		"short curator":                       "line 1: token shorter than 16 bytes",
		"# c\nsecret-three-fields-1234 a b\n": "line 2:",
	}
	for text, want := range cases {
		_, err := ParseTokens(strings.NewReader(text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTokens(%q) = %v, want %q", text, err, want)
			continue
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "tiny") {
			t.Errorf("ParseTokens error shows the token: %v", err)
		}
	}
}

func TestLoadTokens_FileAndEnv(t *testing.T) {
	t.Parallel()
	if _, err := LoadTokens("", ""); err == nil {
		t.Error("LoadTokens with no source: no error")
	}
	tk, err := LoadTokens("", curatorToken+" curator,"+viewerToken+" viewer")
	if err != nil || tk.Len() != 2 {
		t.Fatalf("LoadTokens from env = %v, %v; want 2 tokens", tk, err)
	}
	if _, err := LoadTokens("/nonexistent/tokens", ""); err == nil {
		t.Error("LoadTokens of a missing file: no error")
	}
}

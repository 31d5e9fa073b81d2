package enforce_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/config"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// retroVerdict is a verdict retro-hunting made: the host talked to the
// address before the indicator was known.
func retroVerdict(ip string, retrospective bool) verdict.Verdict {
	return verdict.Verdict{EventID: "ev-" + ip, Retrospective: retrospective,
		Observable: ioc.Observable{Type: ioc.IPv4, Value: ip, Field: "dest_ip"},
		Indicator:  verdict.Indicator{ID: "ipv4:" + ip, Type: ioc.IPv4, Value: ip},
		Severity:   ioc.SeverityHigh, Confidence: 90}
}

func TestPolicy_RetrospectiveVerdicts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		match         enforce.Retro
		retrospective bool
		wantActions   int
	}{
		{"default rule skips a retrospective verdict", enforce.RetroLive, true, 0},
		{"default rule takes a live verdict", enforce.RetroLive, false, 1},
		{"any takes a retrospective verdict", enforce.RetroAny, true, 1},
		{"true takes a retrospective verdict", enforce.RetroOnly, true, 1},
		{"true skips a live verdict", enforce.RetroOnly, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw")
			r.Match.Retrospective = tc.match
			e := newEnv(t, enforce.Config{Policy: enforce.Policy{Rules: []enforce.Rule{r}}})
			err := e.svc.Write(context.Background(),
				[]verdict.Verdict{retroVerdict("203.0.113.20", tc.retrospective)})
			if err != nil {
				t.Fatal(err)
			}
			e.svc.Tick(context.Background())
			if got := len(e.list(t)); got != tc.wantActions {
				t.Errorf("match retrospective %s, verdict retrospective %t: %d actions, "+
					"want %d", tc.match, tc.retrospective, got, tc.wantActions)
			}
			if tc.wantActions == 1 && countOps(e.dev.Calls(), "apply") != 1 {
				t.Errorf("calls = %+v, want one apply", e.dev.Calls())
			}
		})
	}
}

// The key reads as true, false or any in the YAML config and in the JSON
// policy of the API.
func TestRetro_Decodes(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]enforce.Retro{"true": enforce.RetroOnly,
		"false": enforce.RetroLive, "any": enforce.RetroAny} {
		var m enforce.Match
		if err := config.Decode([]byte("retrospective: "+text), &m); err != nil ||
			m.Retrospective != want {
			t.Errorf("YAML %q: got %s (%v), want %s", text, m.Retrospective, err, want)
		}
		b, err := json.Marshal(enforce.Match{Retrospective: want})
		var back enforce.Match
		if err == nil {
			err = json.Unmarshal(b, &back)
		}
		if err != nil || back.Retrospective != want {
			t.Errorf("JSON round trip of %s via %s: got %s (%v)", want, b, back.Retrospective,
				err)
		}
	}
	var m enforce.Match
	if err := json.Unmarshal([]byte(`{"retrospective": true}`), &m); err != nil ||
		m.Retrospective != enforce.RetroOnly {
		t.Errorf("JSON true: got %s (%v), want true", m.Retrospective, err)
	}
	if err := config.Decode([]byte("retrospective: maybe"), &m); err == nil {
		t.Error("YAML maybe: no error")
	}
}

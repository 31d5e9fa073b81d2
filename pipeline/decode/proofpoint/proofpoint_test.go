package proofpoint

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

// TestDecoder_Corpus decodes every record of the SIEM API samples; the
// golden file lists each observable by field, type and value.
func TestDecoder_Corpus(t *testing.T) {
	var b strings.Builder
	for _, f := range []string{"siem-v2-all-response.json", "siem-v2-empty-response.json"} {
		data, err := os.ReadFile("testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = Split(data, func(kind string, rec []byte) error {
			n++
			var ev event.Event
			err := DecodeKind(rec, kind, &ev)
			dt.Transcript(&b, f+"#"+strconv.Itoa(n), &ev, err)
			dt.Invariants(t, &ev)
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	dt.Golden(t, "testdata/corpus.golden", b.String())
}

func TestDecoder_Threats(t *testing.T) {
	rec := `{"messageTime":"2022-01-01T00:00:00Z","GUID":"g","threatsInfoMap":[` +
		`{"threatType":"attachment","threat":` +
		`"A591A6D40BF420404A011733CFB7B190D62C65BF0BCDA32B57B277D9AD9F146E"},` +
		`{"threatType":"URL","threat":"evil.example/x"},{"threatType":"message","threat":"abc"}],` +
		`"threatUrl":"https://threatinsight.proofpoint.com/x"}`
	var ev event.Event
	if err := (Decoder{}).Decode([]byte(rec), &ev); err != nil {
		t.Fatal(err)
	}
	dt.Check(t, "threats", &ev, []dt.Obs{
		{Field: "threatsInfoMap.threat", Type: ioc.SHA256,
			Value: "a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e"},
		{Field: "threatsInfoMap.threat", Type: ioc.URL, Value: "http://evil.example/x"},
	})
	if ev.Kind != Message || ev.ID != "g" {
		t.Errorf("kind %q id %q, want message g", ev.Kind, ev.ID)
	}
}

func TestDecoder_Rejects(t *testing.T) {
	for _, rec := range []string{
		`{"queryEndTime":"2024-10-11T14:34:53Z","messagesBlocked":[]}`,
		`{"id":"x"}`,
		`{"clickTime":"never"}`,
		`{"clickTime":`,
		`[]`,
		`{"clickTime":"2022-01-01T00:00:00Z"} {}`,
	} {
		var ev event.Event
		err := (Decoder{}).Decode([]byte(rec), &ev)
		var de *decode.Error
		if !errors.As(err, &de) || de.Format != FormatName {
			t.Errorf("%s: got %v, want a *decode.Error", rec, err)
		}
	}
}

func FuzzDecoder(f *testing.F) {
	data, err := os.ReadFile("testdata/siem-v2-all-response.json")
	if err != nil {
		f.Fatal(err)
	}
	_ = Split(data, func(_ string, rec []byte) error {
		f.Add(rec)
		return nil
	})
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev event.Event
		if err := (Decoder{}).Decode(data, &ev); err != nil {
			var de *decode.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *decode.Error", err)
			}
			return
		}
		dt.Invariants(t, &ev)
		_ = Split(data, func(string, []byte) error { return nil })
	})
}

func BenchmarkDecoder(b *testing.B) {
	data, err := os.ReadFile("testdata/siem-v2-all-response.json")
	if err != nil {
		b.Fatal(err)
	}
	var recs [][]byte
	size := 0
	_ = Split(data, func(_ string, rec []byte) error {
		recs = append(recs, rec)
		size += len(rec)
		return nil
	})
	b.ReportAllocs()
	b.SetBytes(int64(size))
	var ev event.Event
	for b.Loop() {
		for _, r := range recs {
			ev.Reset()
			_ = (Decoder{}).Decode(r, &ev)
		}
	}
}

// TestDecoder_MailFacts: a message names its id and its envelope
// recipients (the To header only when there are none); a click names the
// message clicked in and the one recipient.
func TestDecoder_MailFacts(t *testing.T) {
	cases := []struct {
		name, kind, rec, wantID string
		want                    []string
	}{
		{"delivered", MessageDelivered, `{"messageTime":"2026-03-02T08:00:00Z","GUID":"g1",` +
			`"messageID":"<a1b2@mail.evil.example>","recipient":["bob@corp.example",` +
			`"carol@Corp.Example","bob@corp.example"],"toAddresses":["all@corp.example"]}`,
			"<a1b2@mail.evil.example>", []string{"bob@corp.example", "carol@corp.example"}},
		{"to header only", Message, `{"messageTime":"2026-03-02T08:00:00Z",` +
			`"messageID":"<c3@evil.example>","toAddresses":["dave@corp.example"]}`,
			"<c3@evil.example>", []string{"dave@corp.example"}},
		{"click", ClickPermitted, `{"clickTime":"2026-03-02T09:00:00Z",` +
			`"url":"http://evil.example/",` +
			`"messageID":"<a1b2@mail.evil.example>","recipient":"bob@corp.example"}`,
			"<a1b2@mail.evil.example>", []string{"bob@corp.example"}},
		{"no message id", Message, `{"messageTime":"2026-03-02T08:00:00Z",` +
			`"messageID":"","recipient":["bob@corp.example"]}`, "", nil},
	}
	for _, c := range cases {
		var ev event.Event
		if err := DecodeKind([]byte(c.rec), c.kind, &ev); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if ev.MessageID != c.wantID || !slices.Equal(ev.Recipients, c.want) {
			t.Errorf("%s: message %q recipients %q, want %q %q", c.name, ev.MessageID,
				ev.Recipients, c.wantID, c.want)
		}
	}
}

package pattern

import "testing"

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, src string }{
		{"shape=atomic", `[file:hashes.'SHA-256' = ` +
			`'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`},
		{"shape=followedby", `([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY ` +
			`[win-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.src)))
			for b.Loop() {
				if _, err := Parse(bc.src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkClassify(b *testing.B) {
	p := MustParse(`[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']`)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Classify()
	}
}

package ac

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudflare/ahocorasick"
	"github.com/iocflow/iocflow/matcher/internal/cputime"
)

// The text is synthetic command lines: common executables, flags, paths
// and random tokens, with one in 200 lines carrying a pattern, in mixed
// case. Patterns are random tokens of 8 to 20 bytes over the same
// alphabet, so that the scan walks deep into the trie often.

const textBytes = 4 << 20

var vocab = strings.Fields(`cmd.exe /c powershell.exe -nop -w hidden -enc rundll32.exe
	c:\windows\system32\ c:\users\public\ regsvr32 /s /u /i:http://update.example/x.sct
	schtasks /create /tn update /tr wmic process call create certutil -urlcache -split -f
	bitsadmin /transfer net user administrator /add svchost.exe -k netsvcs --type=renderer
	/usr/bin/python3 -m http.server curl -fsSL https://cdn.example/install.sh | sh`)

func token(r *rand.Rand, min, max int) string {
	const abc = "abcdefghijklmnopqrstuvwxyz0123456789.-_/\\:"
	b := make([]byte, min+r.IntN(max-min+1))
	for i := range b {
		b[i] = abc[r.IntN(len(abc))]
	}
	return string(b)
}

func benchPatterns(n int) []string {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	p := make([]string, n)
	for i := range p {
		p[i] = token(r, 8, 20)
	}
	return p
}

func benchText(pats []string) string {
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for line := 0; b.Len() < textBytes; line++ {
		for range 4 + r.IntN(8) {
			if r.IntN(3) == 0 {
				b.WriteString(token(r, 3, 12))
			} else {
				b.WriteString(vocab[r.IntN(len(vocab))])
			}
			b.WriteByte(' ')
		}
		if line%200 == 0 {
			b.WriteString(strings.ToUpper(pats[r.IntN(len(pats))]))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// BenchmarkScan compares this package with cloudflare/ahocorasick on the
// same patterns and text, and runs grep -F and, where installed, rg -F
// over the same files as the outside reference (their figures include
// process start and pattern compilation).
func BenchmarkScan(b *testing.B) {
	for _, n := range []int{100, 1e4, 1e5} {
		pats := benchPatterns(n)
		text := benchText(pats)
		b.Run(fmt.Sprintf("patterns=%d/impl=ac", n), func(b *testing.B) {
			a := Build(pats, Options{})
			b.ReportMetric(float64(a.Size()), "table-bytes")
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			dst := make([]uint32, 0, 1024)
			stop := cputime.Start(b)
			for b.Loop() {
				dst = AppendMatches(a, dst[:0], text)
			}
			stop()
			if len(dst) == 0 {
				b.Fatal("no matches")
			}
		})
		b.Run(fmt.Sprintf("patterns=%d/impl=cloudflare", n), func(b *testing.B) {
			m := ahocorasick.NewStringMatcher(pats)
			in := []byte(text)
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			stop := cputime.Start(b)
			for b.Loop() {
				m.Match(in)
			}
			stop()
		})
		dir := b.TempDir()
		pf, tf := filepath.Join(dir, "patterns"), filepath.Join(dir, "text")
		if err := os.WriteFile(pf, []byte(strings.Join(pats, "\n")+"\n"), 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(tf, []byte(text), 0o600); err != nil {
			b.Fatal(err)
		}
		for _, tool := range []string{"grep", "rg"} {
			for _, flags := range []string{"-F", "-Fi"} {
				if flags == "-Fi" && n > 100 {
					// Both tools leave their literal fast path for -i with
					// many patterns; rg took over 3 CPU-minutes on 4 MiB
					// with 10,000.
					continue
				}
				name := fmt.Sprintf("patterns=%d/impl=%s%s", n, tool, flags)
				b.Run(name, func(b *testing.B) { benchTool(b, tool, flags, pf, tf, len(text)) })
			}
		}
	}
}

// benchTool runs tool flags -c -f patterns text and reports its processor
// time (user and system) per run as cpu-ns/op.
func benchTool(b *testing.B, tool, flags, pf, tf string, n int) {
	path, err := exec.LookPath(tool)
	if err != nil {
		b.Skipf("%s not installed", tool)
	}
	b.SetBytes(int64(n))
	var cpu int64
	for b.Loop() {
		cmd := exec.Command(path, flags, "-c", "-f", pf, tf)
		// Exit status 1 means no line matched, which is an answer.
		out, err := cmd.Output()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() > 1 {
			b.Fatalf("%s: %v (%s)", tool, err, out)
		}
		cpu += int64(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime())
	}
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkBuild measures building the automaton.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1e4, 1e5} {
		pats := benchPatterns(n)
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			stop := cputime.Start(b)
			for b.Loop() {
				Build(pats, Options{})
			}
			stop()
		})
	}
}

// BenchmarkScanDense sweeps Options.DenseBytes, the memory given to dense
// rows, to choose its default.
func BenchmarkScanDense(b *testing.B) {
	for _, n := range []int{1e4, 1e5} {
		pats := benchPatterns(n)
		text := benchText(pats)
		for _, mib := range []int{1, 2, 4, 16} {
			a := Build(pats, Options{DenseBytes: mib << 20})
			name := fmt.Sprintf("patterns=%d/dense=%dMiB/depth=%d", n, mib, a.DenseDepth())
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				dst := make([]uint32, 0, 1024)
				stop := cputime.Start(b)
				for b.Loop() {
					dst = AppendMatches(a, dst[:0], text)
				}
				stop()
			})
		}
	}
}

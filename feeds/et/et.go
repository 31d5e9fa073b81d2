// Package et reads the Emerging Threats firewall lists: the sectioned block
// list (emerging-Block-IPs.txt) and the compromised-host list
// (compromised-ips.txt). Entries are IPv4 addresses and CIDR blocks; the
// block list's section headings ("# Feodo", "#Spamhaus DROP Nets") become
// the threat type of the entries beneath them.
//
// A Format value is stateless and safe for concurrent use.
package et

import (
	"bytes"
	"io"
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// Format is the Emerging Threats list format.
type Format struct{}

// Name implements feeds.Format.
func (Format) Name() string { return "et" }

// Sniff recognises the lists by their file names, as Emerging Threats
// publishes them, or by the block list's banner.
func (Format) Sniff(name string, head []byte) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "emerging-") || strings.HasPrefix(lower, "compromised-ips") {
		return true
	}
	return bytes.Contains(head, []byte("Emerging Threats")) &&
		!bytes.HasPrefix(bytes.TrimSpace(head), []byte("{"))
}

// Defaults for what the lists say, which is nothing: the block list holds
// command-and-control servers and the worst of DROP and DShield, the
// compromised list hosts seen attacking. Confidence is on a 0-100 scale.
const (
	blockConfidence       = 80
	compromisedConfidence = 60
)

// Parse implements feeds.Format. The banner runs up to the "# Rev" line (or
// the first entry); after it every comment line is a section heading.
func (Format) Parse(r io.Reader, b *feeds.Builder) error {
	src := ioc.Source{Confidence: blockConfidence, Severity: ioc.SeverityHigh}
	if strings.HasPrefix(strings.ToLower(b.Feed()), "compromised") {
		src = ioc.Source{Confidence: compromisedConfidence, Severity: ioc.SeverityMedium,
			ThreatTypes: []string{"compromised"}}
	}
	section, banner := "", true
	return feeds.EachLine(r, b, 4096, func(pos, text string) error {
		if strings.HasPrefix(text, "#") {
			heading := strings.TrimSpace(strings.TrimLeft(text, "#"))
			switch {
			case strings.HasPrefix(heading, "Rev "):
				banner = false
			case !banner && heading != "":
				section = heading
			}
			return nil
		}
		banner = false
		s := src
		if section != "" {
			s.ThreatTypes = []string{section}
		}
		s.ID = pos
		b.Add(pos, ioc.IPv4, text, s)
		return nil
	})
}

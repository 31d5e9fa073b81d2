package etrep

import (
	_ "embed"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/lines"
)

// defaultCategories is the table of FORMATS.md section 3.3 in the layout of
// ET's categories.txt, with descriptions written here.
//
//go:embed default-categories.txt
var defaultCategories string

// Categories maps ET category ids to their short names. The zero value is
// empty; DefaultCategories returns the shipped table. A Categories is not
// modified after it is built and is safe for concurrent reads.
type Categories struct {
	names map[int]string
}

var (
	defaultOnce  sync.Once
	defaultTable Categories
)

// DefaultCategories returns the shipped table of the 33 ET categories.
func DefaultCategories() Categories {
	defaultOnce.Do(func() {
		c, err := ParseCategories(strings.NewReader(defaultCategories))
		if err != nil {
			panic("etrep: embedded default-categories.txt is invalid: " + err.Error())
		}
		defaultTable = c
	})
	return defaultTable
}

// ParseCategories reads a categories.txt file: "id,ShortName,Description"
// per line, '#' comments and blank lines skipped. Every bad line is
// reported, joined; a table with any bad line is not returned.
func ParseCategories(r io.Reader) (Categories, error) {
	c := Categories{names: map[int]string{}}
	var errs []error
	lr := lines.NewReader(r, 4096)
	for {
		line, err := lr.Next()
		switch {
		case errors.Is(err, io.EOF):
			return c, errors.Join(errs...)
		case errors.Is(err, lines.ErrTooLong):
			errs = append(errs, errors.New("line "+strconv.Itoa(lr.Line())+": too long"))
			continue
		case err != nil:
			return Categories{}, err
		}
		text := strings.TrimSpace(strings.TrimPrefix(string(line), "\uFEFF"))
		if text == "" || text[0] == '#' {
			continue
		}
		id, name, ok := parseCategoryLine(text)
		if !ok {
			errs = append(errs, errors.New("line "+strconv.Itoa(lr.Line())+
				": want id,ShortName,Description with a positive integer id"))
			continue
		}
		c.names[id] = name
	}
}

func parseCategoryLine(text string) (int, string, bool) {
	f := strings.SplitN(text, ",", 3)
	if len(f) < 2 {
		return 0, "", false
	}
	id, err := strconv.Atoi(strings.TrimSpace(f[0]))
	name := strings.TrimSpace(f[1])
	if err != nil || id <= 0 || name == "" {
		return 0, "", false
	}
	return id, name, true
}

// Name returns the short name of a category id; an id the table lacks is
// named "category-<id>".
func (c Categories) Name(id int) string {
	if n, ok := c.names[id]; ok {
		return n
	}
	return "category-" + strconv.Itoa(id)
}

// Len returns the number of categories in the table.
func (c Categories) Len() int { return len(c.names) }

// categoryClass is what listing in a category says about a value.
type categoryClass struct {
	severity ioc.Severity
	// neutral categories describe services, not threats: a hit on one is
	// context (info severity), never a malicious verdict.
	neutral bool
}

// classes classifies the categories by short name, lower case, so that a
// categories.txt with other ids keeps the meaning. Unknown names are
// medium and not neutral: ET publishes reputation, so an unknown category
// is more likely a new threat class than a new kind of service.
var classes = map[string]categoryClass{
	"cnc":                {ioc.SeverityHigh, false},
	"bot":                {ioc.SeverityHigh, false},
	"spam":               {ioc.SeverityMedium, false},
	"drop":               {ioc.SeverityHigh, false},
	"spywarecnc":         {ioc.SeverityHigh, false},
	"drivebysrc":         {ioc.SeverityHigh, false},
	"compromised":        {ioc.SeverityHigh, false},
	"scanner":            {ioc.SeverityMedium, false},
	"brute_forcer":       {ioc.SeverityMedium, false},
	"fakeav":             {ioc.SeverityHigh, false},
	"undesirable":        {ioc.SeverityLow, false},
	"abusedtld":          {ioc.SeverityLow, false},
	"selfsignedssl":      {ioc.SeverityLow, false},
	"p2pcnc":             {ioc.SeverityHigh, false},
	"exe_source":         {ioc.SeverityMedium, false},
	"mobile_cnc":         {ioc.SeverityHigh, false},
	"mobile_spyware_cnc": {ioc.SeverityHigh, false},
	"ddosattacker":       {ioc.SeverityMedium, false},

	"onlinegaming":        {ioc.SeverityInfo, true},
	"chatserver":          {ioc.SeverityInfo, true},
	"tornode":             {ioc.SeverityInfo, true},
	"p2p":                 {ioc.SeverityInfo, true},
	"proxy":               {ioc.SeverityInfo, true},
	"ipcheck":             {ioc.SeverityInfo, true},
	"utility":             {ioc.SeverityInfo, true},
	"ddostarget":          {ioc.SeverityInfo, true},
	"dyndns":              {ioc.SeverityInfo, true},
	"blackhole":           {ioc.SeverityInfo, true},
	"remoteaccessservice": {ioc.SeverityInfo, true},
	"parking":             {ioc.SeverityInfo, true},
	"vpn":                 {ioc.SeverityInfo, true},
	"skype_supernode":     {ioc.SeverityInfo, true},
	"bitcoin_related":     {ioc.SeverityInfo, true},
}

func classOf(name string) categoryClass {
	if c, ok := classes[strings.ToLower(name)]; ok {
		return c
	}
	return categoryClass{severity: ioc.SeverityMedium}
}

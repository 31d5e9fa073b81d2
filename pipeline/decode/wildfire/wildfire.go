// Package wildfire decodes Palo Alto Networks WildFire API responses:
// verdicts (/get/verdict, and each entry of /get/verdicts through Split)
// and analysis reports (/get/report in XML). A verdict gives the sample's
// hashes with the verdict as the event kind ("verdict/malware"); a report
// gives the hashes of file_info and the URLs each analysis extracted.
//
// A Decoder is stateless and safe for concurrent use.
package wildfire

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "wildfire"

// Decoder decodes WildFire XML responses.
type Decoder struct{}

// Format implements decode.Decoder.
func (Decoder) Format() string { return FormatName }

type verdictInfo struct {
	SHA256  string `xml:"sha256"`
	MD5     string `xml:"md5"`
	Verdict string `xml:"verdict"`
}

type response struct {
	XMLName  xml.Name      `xml:"wildfire"`
	Verdicts []verdictInfo `xml:"get-verdict-info"`
	FileInfo *struct {
		SHA1   string `xml:"sha1"`
		SHA256 string `xml:"sha256"`
		MD5    string `xml:"md5"`
	} `xml:"file_info"`
	Reports []struct {
		Platform string `xml:"platform"`
		URLs     []struct {
			URL string `xml:"url,attr"`
		} `xml:"extracted_urls>entry"`
	} `xml:"task_info>report"`
}

type errorResponse struct {
	XMLName xml.Name `xml:"error"`
	Message string   `xml:"error-message"`
}

// verdictNames names the verdict codes of the WildFire API.
var verdictNames = map[string]string{
	"0": "benign", "1": "malware", "2": "grayware", "4": "phishing", "5": "c2",
	"-100": "pending", "-101": "error", "-102": "unknown", "-103": "invalid",
}

// Decode implements decode.Decoder for a single-verdict or report
// response.
func (Decoder) Decode(data []byte, ev *event.Event) error {
	var r response
	if err := xml.Unmarshal(data, &r); err != nil {
		var e errorResponse
		if xml.Unmarshal(data, &e) == nil {
			return decode.NewError(FormatName, decode.NoOffset,
				"WildFire error response: "+strconv.Quote(strings.TrimSpace(e.Message)))
		}
		return decode.NewError(FormatName, decode.NoOffset, err.Error())
	}
	ev.Format, ev.ID = FormatName, event.HashID(data)
	switch {
	case len(r.Verdicts) > 1:
		return decode.NewError(FormatName, decode.NoOffset,
			"a batch verdict response; split it with wildfire.Split")
	case len(r.Verdicts) == 1:
		v := r.Verdicts[0]
		name, ok := verdictNames[strings.TrimSpace(v.Verdict)]
		if !ok {
			return decode.NewError(FormatName, decode.NoOffset, "unknown verdict code "+
				strconv.Quote(v.Verdict))
		}
		ev.Kind = "verdict/" + name
		extract.Add(ev, ioc.SHA256, v.SHA256, "get-verdict-info.sha256")
		extract.Add(ev, ioc.MD5, v.MD5, "get-verdict-info.md5")
		return nil
	case r.FileInfo != nil:
		ev.Kind = "report"
		extract.Add(ev, ioc.SHA256, r.FileInfo.SHA256, "file_info.sha256")
		extract.Add(ev, ioc.SHA1, r.FileInfo.SHA1, "file_info.sha1")
		extract.Add(ev, ioc.MD5, r.FileInfo.MD5, "file_info.md5")
		for _, rep := range r.Reports {
			for _, u := range rep.URLs {
				extract.Add(ev, ioc.URL, u.URL, "report.extracted_urls")
			}
		}
		return nil
	}
	return decode.NewError(FormatName, decode.NoOffset, "neither a verdict nor a report")
}

// Split calls yield with each get-verdict-info of a batch verdict
// response, wrapped as a single-verdict response.
func Split(resp []byte, yield func(rec []byte) error) error {
	var r response
	if err := xml.Unmarshal(resp, &r); err != nil {
		return decode.NewError(FormatName, decode.NoOffset, err.Error())
	}
	for _, v := range r.Verdicts {
		var b bytes.Buffer
		b.WriteString("<wildfire>")
		if err := xml.NewEncoder(&b).EncodeElement(v, xml.StartElement{
			Name: xml.Name{Local: "get-verdict-info"}}); err != nil {
			return err
		}
		b.WriteString("</wildfire>")
		if err := yield(b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

package suricata

import (
	"slices"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/event"
)

// dns reads the dns object of all three EVE generations: v1 and v2 carry
// rrname/rrtype/rdata at the top of the object, v2 answers and v3
// responses carry answers[], authorities[] and grouped{}, v3 carries
// queries[].
func (st *state) dns() {
	sc := &st.sc
	if !sc.Enter() {
		return
	}
	st.topType, st.topData = st.topType[:0], st.topData[:0]
	for {
		key, ok := sc.Key()
		if !ok {
			break
		}
		switch string(key) {
		case "rrname":
			st.str(ioc.Domain, "dns.rrname")
		case "rrtype":
			st.keep(&st.topType)
		case "rdata":
			st.keep(&st.topData)
		case "queries":
			st.records(queryFields)
		case "answers":
			st.records(answerFields)
		case "authorities":
			st.records(authorityFields)
		case "additionals":
			st.records(additionalFields)
		case "grouped":
			st.grouped()
		default:
			sc.Skip()
		}
	}
	st.rdataAdd(st.topType, st.topData, "dns.rdata")
}

type rrFields struct{ rrname, rdata, soa, srv string }

var (
	queryFields  = rrFields{rrname: "dns.queries.rrname"}
	answerFields = rrFields{"dns.answers.rrname", "dns.answers.rdata",
		"dns.answers.soa.mname", "dns.answers.srv.name"}
	authorityFields = rrFields{"dns.authorities.rrname", "dns.authorities.rdata",
		"dns.authorities.soa.mname", "dns.authorities.srv.name"}
	additionalFields = rrFields{"dns.additionals.rrname", "dns.additionals.rdata",
		"dns.additionals.soa.mname", "dns.additionals.srv.name"}
)

// records reads an array of resource records.
func (st *state) records(f rrFields) {
	sc := &st.sc
	if !sc.Array() {
		sc.Skip()
		return
	}
	for sc.Next() {
		if !sc.Enter() {
			continue
		}
		st.rrtype, st.rdata = st.rrtype[:0], st.rdata[:0]
		for {
			key, ok := sc.Key()
			if !ok {
				break
			}
			switch string(key) {
			case "rrname":
				st.str(ioc.Domain, f.rrname)
			case "rrtype":
				st.keep(&st.rrtype)
			case "rdata":
				st.keep(&st.rdata)
			case "soa":
				st.nameIn("mname", f.soa)
			case "srv":
				st.nameIn("name", f.srv)
			default:
				sc.Skip()
			}
		}
		if f.rdata != "" {
			st.rdataAdd(st.rrtype, st.rdata, f.rdata)
		}
	}
}

// nameIn reads an object and adds its member key as a domain.
func (st *state) nameIn(key, field string) {
	sc := &st.sc
	if !sc.Enter() {
		return
	}
	for {
		k, ok := sc.Key()
		if !ok {
			return
		}
		if string(k) == key && field != "" {
			st.str(ioc.Domain, field)
		} else {
			sc.Skip()
		}
	}
}

// rdataAdd adds an answer's data by its record type: addresses for A and
// AAAA, names for the types whose data is a name. TXT, NULL and the rest
// carry no observable.
func (st *state) rdataAdd(rrtype, rdata []byte, field string) {
	if len(rdata) == 0 {
		return
	}
	switch string(rrtype) {
	case "A", "AAAA":
		st.ad.IP(rdata, field)
	case "CNAME", "PTR", "NS", "DNAME":
		st.ad.Domain(rdata, field)
	case "MX":
		st.ad.Domain(lastWord(rdata), field)
	}
}

func lastWord(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ' ' {
			return b[i+1:]
		}
	}
	return b
}

// grouped reads dns.grouped: arrays per record type, strings for most
// types and objects for SRV, SOA and others.
func (st *state) grouped() {
	sc := &st.sc
	if !sc.Enter() {
		return
	}
	for {
		key, ok := sc.Key()
		if !ok {
			return
		}
		st.rrtype = append(st.rrtype[:0], key...)
		field := groupedField(st.rrtype)
		if !sc.Array() {
			sc.Skip()
			continue
		}
		for sc.Next() {
			switch {
			case field == "":
				sc.Skip()
			case string(st.rrtype) == "SRV":
				st.nameIn("name", field)
			case string(st.rrtype) == "SOA":
				st.nameIn("mname", field)
			default:
				b, _ := sc.Str()
				st.rdataAdd(st.rrtype, b, field)
			}
		}
	}
}

func groupedField(rrtype []byte) string {
	switch string(rrtype) {
	case "A":
		return "dns.grouped.A"
	case "AAAA":
		return "dns.grouped.AAAA"
	case "CNAME":
		return "dns.grouped.CNAME"
	case "PTR":
		return "dns.grouped.PTR"
	case "NS":
		return "dns.grouped.NS"
	case "MX":
		return "dns.grouped.MX"
	case "DNAME":
		return "dns.grouped.DNAME"
	case "SRV":
		return "dns.grouped.SRV"
	case "SOA":
		return "dns.grouped.SOA"
	}
	return ""
}

// http reads the http object. The request URL is put together from
// hostname, http_port and url (which is the request target).
func (st *state) http() {
	sc := &st.sc
	if !sc.Enter() {
		return
	}
	st.host, st.target = st.host[:0], st.target[:0]
	var port int64
	for {
		key, ok := sc.Key()
		if !ok {
			break
		}
		switch string(key) {
		case "hostname":
			st.keep(&st.host)
			st.ad.Host(st.host, "http.hostname")
		case "http_port":
			port, _ = sc.Int()
		case "url":
			st.keep(&st.target)
		case "http_user_agent":
			st.str(ioc.UserAgent, "http.http_user_agent")
		case "http_refer":
			st.absURL("http.http_refer")
		case "redirect":
			st.absURL("http.redirect")
		case "xff":
			st.xff()
		default:
			sc.Skip()
		}
	}
	st.ad.HTTPURL(st.host, port, st.target, "http.url")
}

// absURL adds a URL value only when it is absolute; a relative referer or
// redirect has no host to match.
func (st *state) absURL(field string) {
	b, _ := st.sc.Str()
	if hasScheme(b) {
		st.ad.URL(b, field)
	}
}

func hasScheme(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == ':' {
			return i > 0 && b[i+1] == '/' && b[i+2] == '/'
		}
		if b[i] == '/' || b[i] == '?' {
			return false
		}
	}
	return false
}

// xff reads X-Forwarded-For, a comma-separated list of addresses.
func (st *state) xff() {
	b, _ := st.sc.Str()
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != ',' {
			i++
		}
		st.ad.IP(trimSpace(b[:i]), "http.xff")
		if i == len(b) {
			return
		}
		b = b[i+1:]
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// tls reads the SNI and the certificate's SHA-1 fingerprint, which EVE
// writes as colon-separated hex.
func (st *state) tls() {
	sc := &st.sc
	if !sc.Enter() {
		return
	}
	for {
		key, ok := sc.Key()
		if !ok {
			return
		}
		switch string(key) {
		case "sni":
			st.str(ioc.Domain, "tls.sni")
		case "fingerprint":
			b, _ := sc.Str()
			st.name = st.name[:0]
			for _, c := range b {
				if c != ':' {
					st.name = append(st.name, c)
				}
			}
			if len(b) > 0 {
				st.ad.Hash(ioc.SHA1, st.name, "tls.fingerprint")
			}
		default:
			sc.Skip()
		}
	}
}

type fileNames struct{ filename, md5, sha1, sha256 string }

var (
	fileFields  = fileNames{"fileinfo.filename", "fileinfo.md5", "fileinfo.sha1", "fileinfo.sha256"}
	filesFields = fileNames{"files.filename", "files.md5", "files.sha1", "files.sha256"}
)

// file reads a fileinfo object or an element of files[].
func (st *state) file(f fileNames) {
	sc := &st.sc
	if !sc.Enter() {
		return
	}
	for {
		key, ok := sc.Key()
		if !ok {
			return
		}
		switch string(key) {
		case "filename":
			b, _ := sc.Str()
			if n := baseName(b); len(n) > 0 {
				st.ad.Add(ioc.FileName, n, f.filename)
			}
		case "md5":
			st.str(ioc.MD5, f.md5)
		case "sha1":
			st.str(ioc.SHA1, f.sha1)
		case "sha256":
			st.str(ioc.SHA256, f.sha256)
		default:
			sc.Skip()
		}
	}
}

// baseName returns the last element of the URL path or file path Suricata
// writes as filename, without a query; "/" has none.
func baseName(b []byte) []byte {
	for i, c := range b {
		if c == '?' {
			b = b[:i]
			break
		}
	}
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' || b[i] == '\\' {
			return b[i+1:]
		}
	}
	return b
}

// smtp reads the SMTP envelope: HELO name, MAIL FROM and RCPT TO.
func (st *state) smtp() {
	sc := &st.sc
	if !sc.Enter() {
		return
	}
	for {
		key, ok := sc.Key()
		if !ok {
			return
		}
		switch string(key) {
		case "helo":
			b, _ := sc.Str()
			st.ad.Host(trimBrackets(b), "smtp.helo")
		case "mail_from":
			st.mailbox("smtp.mail_from")
		case "rcpt_to":
			if !sc.Array() {
				st.mailbox("smtp.rcpt_to")
				continue
			}
			for sc.Next() {
				st.mailbox("smtp.rcpt_to")
			}
		default:
			sc.Skip()
		}
	}
}

func trimBrackets(b []byte) []byte {
	if len(b) >= 2 && (b[0] == '<' || b[0] == '[') {
		return b[1 : len(b)-1]
	}
	return b
}

func (st *state) mailbox(field string) {
	b, _ := st.sc.Str()
	if b = trimBrackets(b); len(b) > 0 {
		st.ad.Add(ioc.Email, b, field)
	}
}

// email reads the parsed message headers of the email object; the
// Message-ID is logged in extended mode only.
func (st *state) email(ev *event.Event) {
	sc := &st.sc
	if !sc.Enter() {
		return
	}
	for {
		key, ok := sc.Key()
		if !ok {
			return
		}
		switch string(key) {
		case "from":
			st.strs(ioc.Email, "email.from")
		case "to":
			st.strs(ioc.Email, "email.to")
		case "cc":
			st.strs(ioc.Email, "email.cc")
		case "attachment":
			st.strs(ioc.FileName, "email.attachment")
		case "url":
			st.strs(ioc.URL, "email.url")
		case "subject":
			if b, _ := sc.Str(); len(b) > 0 {
				extract.Text(st.ad.Ev, string(b), "email.subject")
			}
		case "message_id":
			if b, _ := sc.Str(); !extract.IsMissing(b) {
				ev.MessageID = st.ar.String(trimSpace(b))
			}
		default:
			sc.Skip()
		}
	}
}

// recipients sets the recipients of a record that names a message: the
// envelope's RCPT TO addresses, else the To and Cc headers. It allocates
// the slice, once per such record.
func recipients(ev *event.Event) {
	for _, fields := range [][2]string{{"smtp.rcpt_to", ""}, {"email.to", "email.cc"}} {
		for _, o := range ev.Observables {
			if o.Type == ioc.Email && (o.Field == fields[0] || o.Field == fields[1]) &&
				!slices.Contains(ev.Recipients, o.Value) {
				ev.Recipients = append(ev.Recipients, o.Value)
			}
		}
		if len(ev.Recipients) > 0 {
			return
		}
	}
}

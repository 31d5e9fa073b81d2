package sysmon

import (
	"net/netip"
	"strings"

	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/decode/internal/obj"
	"github.com/iocflow/iocflow/pipeline/event"
)

// LogonFormat is the format of Security 4624 records, which the Decoder
// reads beside Sysmon's because Winlogbeat ships both.
const LogonFormat = "windows_logon"

// LogonKind is the kind of a 4624 record.
const LogonKind = "logon"

const securityProvider = "Microsoft-Windows-Security-Auditing"

// isLogon reports whether m is Security event 4624 ("an account was
// successfully logged on"), raw (winlog.*) or ECS (event.code with the
// Security-Auditing provider).
func isLogon(m obj.Map) bool {
	if obj.FirstStr(m, "winlog.event_id", "event.code") != "4624" {
		return false
	}
	return obj.Str(m, "winlog.channel") == "Security" ||
		obj.Str(m, "winlog.provider_name") == securityProvider ||
		obj.Str(m, "event.provider") == securityProvider
}

// logon decodes a 4624 record. The event's host is the computer logged on
// to, its user the account (TargetDomainName\TargetUserName) and the
// client address (IpAddress) an observable. When the logon came from an
// address, as network and remote interactive logons do, ev.Binding says
// that the account, on the machine WorkstationName names, held it.
// Machine and built-in accounts and local addresses bind nothing.
func logon(m obj.Map, data []byte, ev *event.Event) error {
	ev.Format, ev.Kind, ev.ID = LogonFormat, LogonKind, event.HashID(data)
	for _, p := range []string{"winlog.time_created", "@timestamp"} {
		if s := obj.Str(m, p); s != "" {
			t, err := extract.Time(s)
			if err != nil {
				return decode.NewError(FormatName, decode.NoOffset, p+": "+err.Error())
			}
			ev.Time = t
			break
		}
	}
	ev.Host = obj.FirstStr(m, "winlog.computer_name", "host.name")
	d := obj.Get(m, "winlog.event_data")
	// get reads an event_data field, else its ECS counterpart; "-" is
	// what Windows writes for "none".
	get := func(k, ecs string) string {
		if v := strings.TrimSpace(obj.Str(d, k)); v != "" && v != "-" {
			return v
		}
		return strings.TrimSpace(obj.Str(m, ecs))
	}
	name, domain := get("TargetUserName", "user.name"), get("TargetDomainName", "user.domain")
	ev.User = name
	if domain != "" && name != "" {
		ev.User = domain + `\` + name
	}
	ip := get("IpAddress", "source.ip")
	if obj.Str(d, "IpAddress") != "" {
		extract.AddIP(ev, ip, ed+"IpAddress")
	} else {
		extract.AddIP(ev, ip, "source.ip")
	}
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Unmap().IsGlobalUnicast() || !isPerson(name, domain) {
		return nil
	}
	host := strings.TrimLeft(get("WorkstationName", "source.domain"), `\`)
	ev.Binding = event.Binding{IP: a.Unmap(), User: ev.User, Host: host}
	return nil
}

// isPerson reports whether an account may be a person's: not a machine
// account ("WS-17$"), the anonymous logon or a built-in service account.
func isPerson(name, domain string) bool {
	switch {
	case name == "" || strings.HasSuffix(name, "$"):
		return false
	case strings.EqualFold(name, "ANONYMOUS LOGON"), strings.EqualFold(domain, "NT AUTHORITY"),
		strings.EqualFold(domain, "Window Manager"), strings.EqualFold(domain, "Font Driver Host"):
		return false
	}
	return true
}

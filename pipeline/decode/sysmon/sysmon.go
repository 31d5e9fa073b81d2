// Package sysmon decodes Microsoft Sysmon events shipped by Winlogbeat, in
// both shapes that reach Kafka: raw (winlog.event_data with Sysmon's own
// field names, every value a string) and ECS (after the Winlogbeat sysmon
// module or the Elastic ingest pipeline). Both are read when both are
// present; fields are named by their path in the record.
//
// Records of the Security channel with event id 4624 (an account logged
// on) are read too, as format LogonFormat: see logon.go.
//
// Event ids read: 1 process creation (image, command line, hashes, parent),
// 3 network connection, 8 remote thread, 11/23/26 file create and delete,
// 12/13/14 registry, 22 DNS query with its answers, and the image and
// hashes of any other id.
//
// A Decoder is stateless and safe for concurrent use.
package sysmon

import (
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/decode/internal/obj"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "sysmon"

// Decoder decodes Winlogbeat Sysmon events.
type Decoder struct{}

// Format implements decode.Decoder.
func (Decoder) Format() string { return FormatName }

var kindNames = map[string]string{
	"1": "process_create", "2": "file_time_change", "3": "network_connect",
	"5": "process_terminate", "6": "driver_load", "7": "image_load",
	"8": "create_remote_thread", "10": "process_access", "11": "file_create",
	"12": "registry_object", "13": "registry_value_set", "14": "registry_rename",
	"15": "file_stream_create", "17": "pipe_create", "18": "pipe_connect", "22": "dns_query",
	"23": "file_delete", "25": "process_tampering", "26": "file_delete_detected",
}

// Decode implements decode.Decoder.
func (Decoder) Decode(data []byte, ev *event.Event) error {
	m, err := obj.Parse(FormatName, data)
	if err != nil {
		return err
	}
	if isLogon(m) {
		return logon(m, data, ev)
	}
	if !isSysmon(m) {
		return decode.NewError(FormatName, decode.NoOffset,
			"not a Sysmon event (winlog.channel, event.module and provider say otherwise)")
	}
	id := obj.FirstStr(m, "winlog.event_id", "event.code")
	if id == "" {
		return decode.NewError(FormatName, decode.NoOffset, "no winlog.event_id or event.code")
	}
	ev.Format, ev.ID = FormatName, event.HashID(data)
	ev.Kind = kindNames[id]
	if ev.Kind == "" {
		ev.Kind = "event_" + id
	}
	// UtcTime is when Sysmon saw the event; @timestamp, in raw records, is
	// when Winlogbeat shipped it.
	err = obj.SetTime(m, FormatName, ev, "winlog.event_data.UtcTime", "@timestamp")
	if err != nil {
		return err
	}
	ev.Host = obj.FirstStr(m, "winlog.computer_name", "host.name")
	raw(m, id, ev)
	ecs(m, ev)
	return nil
}

func isSysmon(m obj.Map) bool {
	return strings.HasPrefix(obj.Str(m, "winlog.channel"), "Microsoft-Windows-Sysmon") ||
		obj.Str(m, "winlog.provider_name") == "Microsoft-Windows-Sysmon" ||
		obj.Str(m, "event.module") == "sysmon" ||
		obj.Str(m, "event.provider") == "Microsoft-Windows-Sysmon"
}

const ed = "winlog.event_data."

// raw reads winlog.event_data by event id.
func raw(m obj.Map, id string, ev *event.Event) {
	d := obj.Get(m, "winlog.event_data")
	if d == nil {
		return
	}
	get := func(k string) string { return obj.Str(d, k) }
	if u := get("User"); u != "" && ev.User == "" {
		ev.User = u
	}
	image(ev, get("Image"), ed+"Image")
	hashes(ev, get("Hashes"), ed+"Hashes")
	switch id {
	case "1":
		extract.Add(ev, ioc.Text, get("CommandLine"), ed+"CommandLine")
		image(ev, get("ParentImage"), ed+"ParentImage")
		extract.Add(ev, ioc.Text, get("ParentCommandLine"), ed+"ParentCommandLine")
		extract.Add(ev, ioc.FileName, get("OriginalFileName"), ed+"OriginalFileName")
	case "3":
		extract.AddIP(ev, get("SourceIp"), ed+"SourceIp")
		extract.AddIP(ev, get("DestinationIp"), ed+"DestinationIp")
		extract.Add(ev, ioc.Domain, get("SourceHostname"), ed+"SourceHostname")
		extract.Add(ev, ioc.Domain, get("DestinationHostname"), ed+"DestinationHostname")
	case "8":
		image(ev, get("SourceImage"), ed+"SourceImage")
		image(ev, get("TargetImage"), ed+"TargetImage")
		extract.Add(ev, ioc.FilePath, get("StartModule"), ed+"StartModule")
	case "11", "15", "23", "26":
		file(ev, get("TargetFilename"), ed+"TargetFilename")
	case "12", "13", "14":
		extract.Add(ev, ioc.RegistryKey, get("TargetObject"), ed+"TargetObject")
		extract.Add(ev, ioc.RegistryKey, get("NewName"), ed+"NewName")
	case "22":
		extract.Add(ev, ioc.Domain, get("QueryName"), ed+"QueryName")
		queryResults(ev, get("QueryResults"), ed+"QueryResults")
	}
}

// image adds an executable path and its file name as the process name.
func image(ev *event.Event, p, field string) {
	if extract.IsMissing([]byte(p)) {
		return
	}
	extract.Add(ev, ioc.FilePath, p, field)
	extract.Add(ev, ioc.ProcessName, obj.Base(p), field)
}

// file adds a file path and its name.
func file(ev *event.Event, p, field string) {
	if extract.IsMissing([]byte(p)) {
		return
	}
	extract.Add(ev, ioc.FilePath, p, field)
	extract.Add(ev, ioc.FileName, obj.Base(p), field)
}

// hashes reads Sysmon's "SHA1=..,MD5=..,SHA256=..,IMPHASH=.." list.
// IMPHASH is an MD5 of the import table, not of the file, and is left out.
func hashes(ev *event.Event, s, field string) {
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			continue
		}
		switch strings.ToUpper(k) {
		case "MD5":
			extract.Add(ev, ioc.MD5, v, field)
		case "SHA1":
			extract.Add(ev, ioc.SHA1, v, field)
		case "SHA256":
			extract.Add(ev, ioc.SHA256, v, field)
		}
	}
}

// queryResults reads the ';'-separated answers of event 22: "type:  5
// name" records give names, bare entries give addresses (IPv4 written as
// IPv4-mapped IPv6).
func queryResults(ev *event.Event, s, field string) {
	for _, r := range strings.Split(s, ";") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if strings.HasPrefix(r, "type:") {
			f := strings.Fields(r[len("type:"):])
			if len(f) == 2 && (f[0] == "5" || f[0] == "12" || f[0] == "2" || f[0] == "15") {
				extract.Add(ev, ioc.Domain, f[1], field)
			}
			continue
		}
		extract.AddIP(ev, r, field)
	}
}

var hashKeys = []struct {
	key string
	t   ioc.Type
}{{"md5", ioc.MD5}, {"sha1", ioc.SHA1}, {"sha256", ioc.SHA256}}

// ecs reads the Elastic Common Schema fields.
func ecs(m obj.Map, ev *event.Event) {
	if ev.User == "" {
		if u := obj.Str(m, "user.name"); u != "" {
			if d := obj.Str(m, "user.domain"); d != "" {
				u = d + `\` + u
			}
			ev.User = u
		}
	}
	for _, p := range []string{"process", "process.parent"} {
		extract.Add(ev, ioc.FilePath, obj.Str(m, p+".executable"), p+".executable")
		extract.Add(ev, ioc.ProcessName, obj.Str(m, p+".name"), p+".name")
		extract.Add(ev, ioc.Text, obj.Str(m, p+".command_line"), p+".command_line")
		for _, h := range hashKeys {
			extract.Add(ev, h.t, obj.Str(m, p+".hash."+h.key), p+".hash."+h.key)
		}
	}
	extract.Add(ev, ioc.FilePath, obj.Str(m, "file.path"), "file.path")
	extract.Add(ev, ioc.FileName, obj.Str(m, "file.name"), "file.name")
	extract.Add(ev, ioc.RegistryKey, obj.Str(m, "registry.path"), "registry.path")
	extract.AddIP(ev, obj.Str(m, "source.ip"), "source.ip")
	extract.AddIP(ev, obj.Str(m, "destination.ip"), "destination.ip")
	extract.Add(ev, ioc.Domain, obj.Str(m, "destination.domain"), "destination.domain")
	extract.Add(ev, ioc.Domain, obj.Str(m, "dns.question.name"), "dns.question.name")
	for _, a := range obj.List(m, "dns.answers") {
		switch obj.Str(a, "type") {
		case "A", "AAAA":
			extract.AddIP(ev, obj.Str(a, "data"), "dns.answers.data")
		case "CNAME", "PTR", "NS", "MX":
			extract.Add(ev, ioc.Domain, obj.Str(a, "data"), "dns.answers.data")
		}
	}
	for _, ip := range obj.Strs(m, "dns.resolved_ip") {
		extract.AddIP(ev, ip, "dns.resolved_ip")
	}
}

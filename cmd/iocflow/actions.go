package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/enforce/api"
	"github.com/iocflow/iocflow/enforce/edl"
	"github.com/iocflow/iocflow/enforce/ldapgroup"
	"github.com/iocflow/iocflow/enforce/msgraph"
	"github.com/iocflow/iocflow/enforce/panos"
	"github.com/iocflow/iocflow/enforce/umbrella"
	"github.com/iocflow/iocflow/enforce/webhook"
	"github.com/iocflow/iocflow/internal/logkey"
)

// Where the enforcement service of `iocflow run --config` takes its
// verdicts from (enforcement.source).
const (
	sourceTopic     = "topic"
	sourceInProcess = "in_process"
)

// enforcementConfig is the "enforcement" section of the config file: the
// service's own keys, where verdicts come from, the API, and one list per
// adapter type.
type enforcementConfig struct {
	enforce.Config `yaml:",inline"`
	// Source is where verdicts come from: "topic" reads
	// sinks.verdict_topic.topic in a consumer group of its own, so that
	// one enforcer sees the verdicts of every worker; "in_process" takes
	// the verdicts of this worker's partitions only, as it writes them
	// (single-worker deployments). Default "topic". `iocflow enforce`
	// always reads the topic.
	Source string `yaml:"source"`
	// Group is the consumer group of the topic source. Default: the
	// kafka.group followed by "-enforce".
	Group    string             `yaml:"group"`
	API      api.Config         `yaml:"api"`
	EDL      []edl.Config       `yaml:"edl"`
	Webhooks []webhook.Config   `yaml:"webhooks"`
	PANOS    []panos.Config     `yaml:"panos"`
	Umbrella []umbrella.Config  `yaml:"umbrella"`
	MSGraph  []msgraph.Config   `yaml:"msgraph"`
	LDAP     []ldapgroup.Config `yaml:"ldap"`
}

func (c *enforcementConfig) defaults(workers string) {
	c.Config.Defaults()
	if c.Source == "" {
		c.Source = sourceTopic
	}
	if c.Group == "" && workers != "" {
		c.Group = workers + "-enforce"
	}
	c.API.Defaults()
	for i := range c.EDL {
		c.EDL[i].Defaults()
	}
	for i := range c.PANOS {
		c.PANOS[i].Defaults()
	}
	for i := range c.Umbrella {
		c.Umbrella[i].Defaults()
	}
	for i := range c.MSGraph {
		c.MSGraph[i].Defaults()
	}
	for i := range c.LDAP {
		c.LDAP[i].Defaults()
	}
}

// validate returns every problem of the section, with key paths.
func (c *enforcementConfig) validate(prefix string) error {
	errs := []error{c.Config.Validate(prefix), c.API.Validate(prefix + ".api")}
	if c.Source != sourceTopic && c.Source != sourceInProcess {
		errs = append(errs, fmt.Errorf("%s.source: want %s or %s, got %q", prefix,
			sourceTopic, sourceInProcess, c.Source))
	}
	for i := range c.EDL {
		errs = append(errs, c.EDL[i].Validate(fmt.Sprintf("%s.edl[%d]", prefix, i)))
	}
	for i := range c.Webhooks {
		errs = append(errs, c.Webhooks[i].Validate(fmt.Sprintf("%s.webhooks[%d]", prefix, i)))
	}
	for i := range c.PANOS {
		errs = append(errs, c.PANOS[i].Validate(fmt.Sprintf("%s.panos[%d]", prefix, i)))
	}
	for i := range c.Umbrella {
		errs = append(errs, c.Umbrella[i].Validate(fmt.Sprintf("%s.umbrella[%d]", prefix, i)))
	}
	for i := range c.MSGraph {
		errs = append(errs, c.MSGraph[i].Validate(fmt.Sprintf("%s.msgraph[%d]", prefix, i)))
	}
	for i := range c.LDAP {
		errs = append(errs, c.LDAP[i].Validate(fmt.Sprintf("%s.ldap[%d]", prefix, i)))
	}
	return errors.Join(errs...)
}

// enforcementAdapters builds the adapters of the section: the one explicit
// list of enforcement adapter types. It also returns the EDL adapters,
// which serve lists and need a listener each.
func enforcementAdapters(
	c *enforcementConfig,
	logger *slog.Logger,
) ([]enforce.Adapter, []*edl.Adapter, error) {
	var out []enforce.Adapter
	var lists []*edl.Adapter
	var errs []error
	add := func(a enforce.Adapter, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, a)
	}
	for _, ec := range c.EDL {
		a, err := edl.New(ec, logger.With(logkey.Component, "enforce/edl"))
		if err == nil {
			lists = append(lists, a)
		}
		add(a, err)
	}
	for _, wc := range c.Webhooks {
		add(webhook.New(wc, nil))
	}
	for _, pc := range c.PANOS {
		add(panos.New(pc, nil))
	}
	for _, uc := range c.Umbrella {
		add(umbrella.New(uc, nil))
	}
	for _, gc := range c.MSGraph {
		add(msgraph.New(gc, nil))
	}
	for _, lc := range c.LDAP {
		add(ldapgroup.New(lc))
	}
	return out, lists, errors.Join(errs...)
}

// startEnforcement builds the enforcement service of the section and runs
// it, its list servers and its API until ctx ends. Audit records always go
// to the section's audit file and also to each of copies (the ClickHouse
// sinks/clickhouse.AuditSink when configured). The returned service is the
// sink verdicts go to; wait returns once everything has stopped.
func startEnforcement(ctx context.Context, c *enforcementConfig, logger *slog.Logger,
	copies ...enforce.AuditSink) (svc *enforce.Service, wait func() error, err error) {
	adapters, lists, err := enforcementAdapters(c, logger)
	if err != nil {
		return nil, nil, err
	}
	file, err := enforce.OpenFileAudit(c.AuditFile)
	if err != nil {
		return nil, nil, err
	}
	log := logger.With(logkey.Component, "enforce")
	var last time.Time
	suppressed := 0
	audit := &enforce.TeeAudit{Primary: file, Copies: copies, OnCopyError: func(err error) {
		// One line a minute; the service calls this under its lock.
		if time.Since(last) < time.Minute {
			suppressed++
			return
		}
		log.Warn("audit copy failed; the audit file has the record", logkey.Err, err,
			logkey.Suppressed, suppressed)
		last, suppressed = time.Now(), 0
	}}
	svc, err = enforce.New(enforce.Options{Config: c.Config, Adapters: adapters, Audit: audit,
		Logger: log})
	if err != nil {
		audit.Close()
		return nil, nil, err
	}
	tokens, err := loadTokens(c.API)
	if err != nil {
		audit.Close()
		return nil, nil, err
	}
	var metrics []func(io.Writer) error
	for _, l := range lists {
		metrics = append(metrics, l.WriteMetrics)
	}
	done := make(chan error, 2+len(lists))
	go func() { done <- svc.Run(ctx) }()
	go func() {
		done <- api.ListenAndServe(ctx, c.API, api.New(svc, tokens, logger, metrics...),
			logger.With(logkey.Component, "enforce/api"))
	}()
	for _, l := range lists {
		go func() { done <- l.ListenAndServe(ctx) }()
	}
	wait = func() error {
		var errs []error
		for range 2 + len(lists) {
			errs = append(errs, <-done)
		}
		return errors.Join(append(errs, audit.Close())...)
	}
	return svc, wait, nil
}

// loadTokens reads the API tokens from the file and the environment.
func loadTokens(c api.Config) (*enforce.Tokens, error) {
	var text strings.Builder
	if c.TokensFile != "" {
		b, err := os.ReadFile(c.TokensFile)
		if err != nil {
			return nil, fmt.Errorf("read api tokens: %w", err)
		}
		text.Write(b)
		text.WriteByte('\n')
	}
	text.WriteString(os.Getenv(c.TokensEnv))
	t, err := enforce.ParseTokens(filepath.Base(c.TokensFile)+"+$"+c.TokensEnv,
		strings.NewReader(text.String()))
	if err != nil {
		return nil, err
	}
	if t.Len() == 0 {
		return nil, fmt.Errorf("enforcement.api: no tokens in tokens_file or $%s", c.TokensEnv)
	}
	return t, nil
}

const actionsUsage = `usage: iocflow actions <list|approve|deny|release> [flags] [ID]

  list              show actions (--state to filter; repeatable)
  approve ID        let a pending action be applied      (approver)
  deny ID           refuse a pending action              (approver)
  release ID        undo an action before its TTL ends   (approver)

The command talks to the enforcement API of a running iocflow. The token
comes from --token-file or $IOCFLOW_TOKEN; the server from --server or
$IOCFLOW_API (default http://127.0.0.1:9781).
`

// cmdActions runs "iocflow actions". Help (-h, or help as the subcommand)
// goes to stdout and exits 0; no subcommand prints the usage to stderr and
// exits 2, like iocflow with no command. Neither needs a token.
func cmdActions(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, actionsUsage)
		return exitUsage, nil
	}
	sub := args[0]
	var o actionsOptions
	switch sub {
	case "-h", "-help", "--help", "help":
		newActionsFlags("", stdout, &o).Usage()
		return exitOK, nil
	case "list", "approve", "deny", "release":
	default:
		fmt.Fprint(stderr, actionsUsage)
		return exitUsage, &usageError{msg: fmt.Sprintf("actions: unknown subcommand %q", sub)}
	}
	fs := newActionsFlags(sub, stderr, &o)
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage, err
	}
	if sub != "list" && fs.NArg() != 1 {
		return exitUsage, &usageError{msg: "actions " + sub + ": give one action ID"}
	}
	token, err := actionsToken(o.tokenFile)
	if err != nil {
		return exitUsage, err
	}
	c := &api.Client{BaseURL: o.server, Token: token}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if sub == "list" {
		var st []enforce.State
		for _, s := range o.states {
			st = append(st, enforce.State(s))
		}
		as, err := c.List(ctx, st...)
		if err != nil {
			return exitUsage, fmt.Errorf("actions list: %w", err)
		}
		return exitOK, printActions(stdout, as, o.asJSON)
	}
	a, err := c.Decide(ctx, sub, fs.Arg(0), o.note)
	if err != nil {
		return exitUsage, fmt.Errorf("actions %s %s: %w", sub, fs.Arg(0), err)
	}
	return exitOK, printActions(stdout, []enforce.Action{a}, o.asJSON)
}

// actionsOptions are the flags of "iocflow actions".
type actionsOptions struct {
	server, tokenFile, note string
	asJSON                  bool
	states                  listFlag
}

// newActionsFlags returns the flags of "iocflow actions SUB", bound to o,
// whose usage (the subcommands, then the flags) goes to out.
func newActionsFlags(sub string, out io.Writer, o *actionsOptions) *flag.FlagSet {
	fs := flag.NewFlagSet(strings.TrimSpace("iocflow actions "+sub), flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, actionsUsage); fs.PrintDefaults() }
	fs.StringVar(&o.server, "server", envOr("IOCFLOW_API", "http://127.0.0.1:9781"),
		"API `URL`")
	fs.StringVar(&o.tokenFile, "token-file", "", "read the bearer token from this `file` "+
		"(default $IOCFLOW_TOKEN)")
	fs.StringVar(&o.note, "note", "", "`text` kept in the audit trail with the decision")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	fs.Var(&o.states, "state",
		"list only actions in this `state` (pending, applied, ...); repeatable")
	return fs
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func actionsToken(file string) (string, error) {
	if file == "" {
		if t := os.Getenv("IOCFLOW_TOKEN"); t != "" {
			return t, nil
		}
		return "", &usageError{msg: "actions: no token: set $IOCFLOW_TOKEN or --token-file"}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func printActions(w io.Writer, as []enforce.Action, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for i := range as {
			if err := enc.Encode(&as[i]); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tACTION\tTARGET\tADAPTER\tRULE\tEXPIRES\tHITS")
	for _, a := range as {
		target := a.Target.Value
		if a.Target.Mailbox != "" {
			target += " in " + a.Target.Mailbox
		}
		expires := "-" // not applied yet: the TTL has not started
		if !a.Expires.IsZero() {
			expires = a.Expires.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", a.ID, a.State, a.Target.Kind,
			target, a.Adapter, a.Rule, expires, a.Hits)
	}
	return tw.Flush()
}

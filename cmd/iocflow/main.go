// Command iocflow matches security events against indicators of compromise.
//
//	iocflow run     match events from files or standard input (embedded mode)
//	iocflow match   show what the loaded feeds say about single values
//	iocflow version print the version
//
// Exit status: 0 when the command finished, 1 when --strict is set and
// something was rejected, 2 on usage or I/O errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK       = 0
	exitRejected = 1
	exitUsage    = 2
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, restore the default handling so that a second
	// one ends a run that is blocked on a silent input.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := runMain(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a problem with the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func runMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	var err error
	code := exitOK
	switch args[0] {
	case "run":
		code, err = cmdRun(ctx, args[1:], stdin, stdout, stderr)
	case "produce":
		code, err = cmdProduce(ctx, args[1:], stdin, stdout, stderr)
	case "match":
		code, err = cmdMatch(args[1:], stdout, stderr)
	case "feeds":
		code, err = cmdFeeds(ctx, args[1:], stdout, stderr)
	case "hunt":
		code, err = cmdHunt(ctx, args[1:], stdout, stderr)
	case "kpi":
		code, err = cmdKPI(ctx, args[1:], stdout, stderr)
	case "actions":
		code, err = cmdActions(ctx, args[1:], stdout, stderr)
	case "enforce":
		code, err = cmdEnforce(ctx, args[1:], stderr)
	case "version":
		if len(args) > 1 {
			fmt.Fprintln(stdout, "usage: iocflow version\n  print the version of this build")
			break
		}
		fmt.Fprintln(stdout, "iocflow", version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage)
	default:
		err = &usageError{msg: fmt.Sprintf("unknown command %q", args[0])}
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "iocflow:", err)
		return exitUsage
	}
	return code
}

const topUsage = `usage: iocflow <command> [flags]

commands:
  run      match events from files or standard input against feeds
  match    show what the loaded feeds say about values
  feeds    validate a feed or upload file, or send one to the upload API
  hunt     look new indicators up in the observables stored in ClickHouse
  kpi      print the per-department KPIs kept in ClickHouse
  actions  list, approve, deny or release enforcement actions
  enforce  run enforcement alone, fed from the verdict topic (--config FILE)
  produce  send the lines of event files to a Kafka topic (demos, tests)
  version  print the version

Run "iocflow <command> -h" for the flags of a command.
`

// newLogger returns the process logger: text on a terminal, JSON otherwise.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

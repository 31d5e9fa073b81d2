package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/internal/lines"
)

// cmdProduce sends the lines of files (or standard input) to a Kafka topic,
// one record per line: the way to feed a local worker in a demo or a test
// without a separate Kafka client. Records are spread over the partitions
// and acknowledged by every in-sync replica before it returns.
func cmdProduce(ctx context.Context, args []string, stdin io.Reader, stdout,
	stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("iocflow produce", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", "",
		"comma-separated Kafka `addresses` (deploy/kafka.sh start prints one)")
	topic := fs.String("topic", "", "the `topic` to write to")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: iocflow produce --brokers ADDR --topic TOPIC [FILE...]\n"+
			"  send each non-blank line of the files (or of standard input) as one record\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage, err
	}
	if *brokers == "" || *topic == "" {
		return exitUsage, &usageError{msg: "produce: --brokers and --topic are required"}
	}
	w := &kafkago.Writer{
		Addr:         kafkago.TCP(strings.Split(*brokers, ",")...),
		Topic:        *topic,
		Balancer:     &kafkago.RoundRobin{},
		RequiredAcks: kafkago.RequireAll,
		BatchTimeout: 10 * time.Millisecond,
	}
	defer w.Close()
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	sent := 0
	for _, name := range files {
		n, err := produceFile(ctx, w, name, stdin)
		sent += n
		if err != nil {
			return exitUsage, fmt.Errorf("produce %s: %w", name, err)
		}
	}
	fmt.Fprintf(stdout, "sent %d records to %s\n", sent, *topic)
	return exitOK, nil
}

func produceFile(ctx context.Context, w *kafkago.Writer, name string,
	stdin io.Reader) (int, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		r = f
	}
	lr := lines.NewReader(r, 16<<20)
	var batch []kafkago.Message
	sent := 0
	for {
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sent, fmt.Errorf("line %d: %w", lr.Line(), err)
		}
		if strings.TrimSpace(string(line)) == "" {
			continue
		}
		batch = append(batch, kafkago.Message{Value: append([]byte(nil), line...)})
		if len(batch) == 500 {
			if err := w.WriteMessages(ctx, batch...); err != nil {
				return sent, err
			}
			sent += len(batch)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := w.WriteMessages(ctx, batch...); err != nil {
			return sent, err
		}
		sent += len(batch)
	}
	return sent, nil
}

// Package kafka runs the pipeline on Apache Kafka through
// github.com/segmentio/kafka-go: the consumer group of the workers
// (Consumer), the indicator topic that every worker follows into its
// matcher (Indicators) and that the feeds side writes to (Publisher), and
// the dead-letter topic (DeadLetters). The stages themselves are package
// pipeline's, which knows nothing of Kafka.
//
// Concurrency: a Consumer runs one goroutine per assigned partition that
// reads batches, the lanes and emitter of a pipeline.Stream per group
// generation, and a commit loop; an Indicators runs one reader goroutine
// per partition of the indicator topic and one that builds and swaps
// snapshots. Their Run methods are called once; their other methods are
// safe for concurrent use. DeadLetters and Publisher are used by one
// goroutine at a time.
package kafka

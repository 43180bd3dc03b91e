// Package queue is the durable job queue of autopipe serve, built on NATS
// JetStream.
//
// A job is one generation request. Front ends Submit it: its input images go
// to an object store, its status to a key-value bucket and the job itself
// to a work-queue stream, bounded so that a full queue is refused
// (ErrQueueFull) rather than grown without limit. Workers pull jobs from one
// durable consumer, report steps on a plain NATS subject per job, store the
// result images and only then acknowledge. A worker that dies stops
// acknowledging, and JetStream hands the job to another worker after the
// acknowledgement wait. Jobs that keep failing are moved to a dead-letter
// subject with their error.
//
// Status transitions are compare-and-set updates of the job's key, so a job
// reaches a final state exactly once even when two workers race on a
// redelivered job.
//
// The package knows nothing about pipelines or HTTP; it moves Specs, Status
// values and bytes.
package queue

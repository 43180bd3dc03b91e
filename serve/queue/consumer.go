package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Consumer pulls jobs for a worker. All workers share one durable consumer,
// so each job goes to one of them at a time.
type Consumer struct {
	c jetstream.Consumer
}

// Consumer opens the shared worker consumer. Deliveries are not capped by
// JetStream: the worker counts them and dead-letters a job itself, so that
// the error travels with it.
func (q *Queue) Consumer(ctx context.Context) (*Consumer, error) {
	c, err := q.js.CreateOrUpdateConsumer(ctx, JobsStream, jetstream.ConsumerConfig{
		Durable: WorkerConsumer, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: q.opts.AckWait, MaxDeliver: -1, MaxAckPending: 4096,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: consumer %s: %w", WorkerConsumer, err)
	}
	return &Consumer{c: c}, nil
}

// Delivery is one job handed to a worker.
type Delivery struct {
	Spec Spec
	// Attempt counts deliveries of this job, 1 for the first.
	Attempt int
	msg     jetstream.Msg
}

// ErrNoJob: no job arrived within the wait.
var ErrNoJob = errors.New("queue: no job waiting")

// Next waits up to wait for one job.
func (c *Consumer) Next(ctx context.Context, wait time.Duration) (*Delivery, error) {
	batch, err := c.c.Fetch(1, jetstream.FetchMaxWait(wait))
	if err != nil {
		return nil, fmt.Errorf("queue: fetch: %w", err)
	}
	for m := range batch.Messages() {
		return decodeDelivery(m)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
		return nil, fmt.Errorf("queue: fetch: %w", err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, ErrNoJob
}

func decodeDelivery(m jetstream.Msg) (*Delivery, error) {
	d := &Delivery{msg: m, Attempt: 1}
	if md, err := m.Metadata(); err == nil {
		d.Attempt = int(md.NumDelivered)
	}
	if err := json.Unmarshal(m.Data(), &d.Spec); err != nil || d.Spec.ID == "" {
		_ = m.TermWithReason("undecodable job")
		return nil, fmt.Errorf("queue: undecodable job dropped: %v", err)
	}
	return d, nil
}

// InProgress resets the acknowledgement wait: the worker is alive.
func (d *Delivery) InProgress() error { return d.msg.InProgress() }

// Ack removes the job from the queue; call it after the result is stored.
func (d *Delivery) Ack(ctx context.Context) error { return d.msg.DoubleAck(ctx) }

// Retry hands the job back for redelivery after delay.
func (d *Delivery) Retry(delay time.Duration) error { return d.msg.NakWithDelay(delay) }

// Drop removes the job without result (final failure, cancel, dead letter).
func (d *Delivery) Drop(reason string) error { return d.msg.TermWithReason(reason) }

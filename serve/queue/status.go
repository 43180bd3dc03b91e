package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Status reads a job's status and its revision (for Transition).
func (q *Queue) Status(ctx context.Context, id string) (Status, uint64, error) {
	e, err := q.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return Status{}, 0, ErrNotFound
	}
	if err != nil {
		return Status{}, 0, fmt.Errorf("queue: status of %s: %w", id, err)
	}
	st, err := decodeStatus(e.Value())
	return st, e.Revision(), err
}

func decodeStatus(b []byte) (Status, error) {
	var st Status
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("queue: decode status: %w", err)
	}
	return st, nil
}

// Transition applies change to the job's current status and stores the
// result if change returns true, retrying when another writer got there
// first. It returns the status as stored (or as read, when change declined).
func (q *Queue) Transition(ctx context.Context, id string, change func(*Status) bool) (Status, bool, error) {
	for range 16 {
		st, rev, err := q.Status(ctx, id)
		if err != nil {
			return st, false, err
		}
		if !change(&st) {
			return st, false, nil
		}
		b, err := json.Marshal(st)
		if err != nil {
			return st, false, fmt.Errorf("queue: encode status: %w", err)
		}
		_, err = q.kv.Update(ctx, id, b, rev)
		if err == nil {
			return st, true, nil
		}
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence {
			return st, false, fmt.Errorf("queue: update status of %s: %w", id, err)
		}
	}
	return Status{}, false, ErrConflict
}

// History returns every stored revision of a job's status, oldest first
// (at most the bucket's history depth).
func (q *Queue) History(ctx context.Context, id string) ([]Status, error) {
	es, err := q.kv.History(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("queue: history of %s: %w", id, err)
	}
	out := make([]Status, 0, len(es))
	for _, e := range es {
		if e.Operation() != jetstream.KeyValuePut {
			continue
		}
		st, err := decodeStatus(e.Value())
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Watch sends the job's status now and after every change until ctx ends
// or the job reaches a final state; then the channel closes.
func (q *Queue) Watch(ctx context.Context, id string) (<-chan Status, error) {
	w, err := q.kv.Watch(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("queue: watch %s: %w", id, err)
	}
	out := make(chan Status, 4)
	go func() {
		defer close(out)
		defer func() { _ = w.Stop() }()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil || e.Operation() != jetstream.KeyValuePut {
					continue
				}
				st, err := decodeStatus(e.Value())
				if err != nil {
					continue
				}
				select {
				case out <- st:
				case <-ctx.Done():
					return
				}
				if st.State.Final() {
					return
				}
			}
		}
	}()
	return out, nil
}

package queue

import (
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
)

// ProgressSubject is the subject step events of job id go to.
func ProgressSubject(id string) string { return progressPrefix + id }

// CancelSubject is the subject a running job's worker listens on.
func CancelSubject(id string) string { return cancelPrefix + id }

// PublishProgress sends a step event (fire and forget: a missed step is
// made good by the next one).
func (q *Queue) PublishProgress(p Progress) {
	b, err := json.Marshal(p)
	if err != nil {
		return
	}
	_ = q.nc.Publish(ProgressSubject(p.ID), b)
}

// OnProgress calls f for each step event of job id, or of every job when
// id is "*". Unsubscribe the returned subscription when done.
func (q *Queue) OnProgress(id string, f func(Progress)) (*nats.Subscription, error) {
	sub, err := q.nc.Subscribe(ProgressSubject(id), func(m *nats.Msg) {
		var p Progress
		if json.Unmarshal(m.Data, &p) == nil {
			f(p)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("queue: subscribe progress: %w", err)
	}
	return sub, nil
}

// RequestCancel tells whichever worker runs job id to stop it.
func (q *Queue) RequestCancel(id string) error {
	if err := q.nc.Publish(CancelSubject(id), nil); err != nil {
		return fmt.Errorf("queue: cancel %s: %w", id, err)
	}
	return nil
}

// OnCancel calls f when a cancel for job id arrives.
func (q *Queue) OnCancel(id string, f func()) (*nats.Subscription, error) {
	sub, err := q.nc.Subscribe(CancelSubject(id), func(*nats.Msg) { f() })
	if err != nil {
		return nil, fmt.Errorf("queue: subscribe cancel: %w", err)
	}
	return sub, nil
}

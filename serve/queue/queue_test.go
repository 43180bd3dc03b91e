package queue

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openTest(t *testing.T, o Options) *Queue {
	t.Helper()
	ns, err := StartEmbedded(EmbeddedOptions{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(ns.Shutdown)
	nc, err := Connect("", ns, "test")
	require.NoError(t, err)
	t.Cleanup(func() { Close(nc) })
	q, err := Open(context.Background(), nc, o)
	require.NoError(t, err)
	return q
}

func TestSubmitBoundedAndDeduplicated(t *testing.T) {
	q := openTest(t, Options{MaxJobs: 2})
	ctx := context.Background()
	require.NoError(t, q.Submit(ctx, Spec{ID: "a"}, []byte("img"), nil))
	require.NoError(t, q.Submit(ctx, Spec{ID: "b"}, nil, nil))
	require.ErrorIs(t, q.Submit(ctx, Spec{ID: "c"}, []byte("img"), nil), ErrQueueFull)
	// The refused job left nothing behind.
	_, _, err := q.Status(ctx, "c")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = q.Input(ctx, "c", "image")
	require.Error(t, err)
	// A second submit of the same id is refused.
	require.Error(t, q.Submit(ctx, Spec{ID: "a"}, nil, nil))
	n, err := q.Depth(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	st, _, err := q.Status(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, Queued, st.State)
	assert.True(t, st.Spec.HasImage)
	b, err := q.Input(ctx, "a", "image")
	require.NoError(t, err)
	assert.Equal(t, "img", string(b))
}

// Racing writers move a job to done exactly once.
func TestTransitionOnce(t *testing.T) {
	q := openTest(t, Options{})
	ctx := context.Background()
	require.NoError(t, q.Submit(ctx, Spec{ID: "j"}, nil, nil))
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, changed, err := q.Transition(ctx, "j", func(s *Status) bool {
				if s.State.Final() {
					return false
				}
				s.State = Done
				return true
			})
			assert.NoError(t, err)
			if changed {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
	hist, err := q.History(ctx, "j")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, []State{Queued, Done}, []State{hist[0].State, hist[1].State})
}

// An unacknowledged job comes back after the ack wait; one kept alive with
// InProgress does not.
func TestRedelivery(t *testing.T) {
	q := openTest(t, Options{AckWait: time.Second})
	ctx := context.Background()
	require.NoError(t, q.Submit(ctx, Spec{ID: "j"}, nil, nil))
	c, err := q.Consumer(ctx)
	require.NoError(t, err)
	d, err := c.Next(ctx, time.Second)
	require.NoError(t, err)
	assert.Equal(t, 1, d.Attempt)
	for range 4 { // alive for 2 s, twice the ack wait
		time.Sleep(500 * time.Millisecond)
		require.NoError(t, d.InProgress())
	}
	_, err = c.Next(ctx, 100*time.Millisecond)
	require.ErrorIs(t, err, ErrNoJob)
	// Now silent: redelivered.
	d2, err := c.Next(ctx, 3*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "j", d2.Spec.ID)
	assert.Equal(t, 2, d2.Attempt)
	require.NoError(t, d2.Ack(ctx))
	n, err := q.Depth(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

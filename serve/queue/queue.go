package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the JetStream assets and subjects.
const (
	JobsStream     = "AUTOPIPE_JOBS"
	JobsSubject    = "autopipe.jobs"
	DeadStream     = "AUTOPIPE_DEAD"
	DeadSubject    = "autopipe.dead"
	StatusBucket   = "autopipe-jobs"
	BlobBucket     = "autopipe-blobs"
	WorkerConsumer = "workers"
	progressPrefix = "autopipe.progress."
	cancelPrefix   = "autopipe.cancel."
)

// Options size the queue. Zero fields take the defaults in brackets.
type Options struct {
	// MaxJobs bounds the jobs waiting or running [64].
	MaxJobs int
	// ResultTTL is how long statuses, inputs and results are kept [24h].
	ResultTTL time.Duration
	// AckWait is how long a worker may stay silent before its job is
	// handed to another worker [30s]. Workers report far more often.
	AckWait time.Duration
	// Replicas of every stream on a clustered NATS [1].
	Replicas int
	// MaxBlobBytes caps one stored image [32 MiB].
	MaxBlobBytes int
}

func (o Options) withDefaults() Options {
	if o.MaxJobs <= 0 {
		o.MaxJobs = 64
	}
	if o.ResultTTL <= 0 {
		o.ResultTTL = 24 * time.Hour
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.MaxBlobBytes <= 0 {
		o.MaxBlobBytes = 32 << 20
	}
	return o
}

// Queue is a handle on the JetStream assets; it is safe for concurrent use.
type Queue struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	jobs  jetstream.Stream
	dead  jetstream.Stream
	kv    jetstream.KeyValue
	blobs jetstream.ObjectStore
	opts  Options
}

// Open creates or updates the streams and buckets on nc's server and
// returns a handle on them. Every front end and worker calls Open with the
// same options; the last one wins for the bounds.
func Open(ctx context.Context, nc *nats.Conn, opts Options) (*Queue, error) {
	o := opts.withDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("queue: jetstream: %w", err)
	}
	q := &Queue{nc: nc, js: js, opts: o}
	q.jobs, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: JobsStream, Subjects: []string{JobsSubject}, Retention: jetstream.WorkQueuePolicy,
		MaxMsgs: int64(o.MaxJobs), Discard: jetstream.DiscardNew, MaxMsgSize: 1 << 20,
		Storage: jetstream.FileStorage, Replicas: o.Replicas, Duplicates: 10 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", JobsStream, err)
	}
	q.dead, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: DeadStream, Subjects: []string{DeadSubject}, MaxAge: o.ResultTTL,
		Storage: jetstream.FileStorage, Replicas: o.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", DeadStream, err)
	}
	q.kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: StatusBucket, History: 16, TTL: o.ResultTTL, MaxValueSize: 1 << 20,
		Storage: jetstream.FileStorage, Replicas: o.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: bucket %s: %w", StatusBucket, err)
	}
	q.blobs, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: BlobBucket, TTL: o.ResultTTL, Storage: jetstream.FileStorage, Replicas: o.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: object store %s: %w", BlobBucket, err)
	}
	return q, nil
}

// Options returns the options in force (defaults filled in).
func (q *Queue) Options() Options { return q.opts }

// Conn is the NATS connection the queue uses.
func (q *Queue) Conn() *nats.Conn { return q.nc }

// Submit claims the job id with a queued status, stores the inputs, then
// enqueues the job. A taken id is refused before anything is written; a full
// queue gives ErrQueueFull and leaves nothing behind.
func (q *Queue) Submit(ctx context.Context, spec Spec, image, mask []byte) error {
	spec.HasImage, spec.HasMask = image != nil, mask != nil
	st, err := json.Marshal(Status{ID: spec.ID, State: Queued, Spec: spec})
	if err != nil {
		return fmt.Errorf("queue: encode status: %w", err)
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("queue: encode job: %w", err)
	}
	if _, err := q.kv.Create(ctx, spec.ID, st); err != nil {
		return fmt.Errorf("queue: job %s: %w", spec.ID, err)
	}
	undo := func() {
		q.removeBlobs(spec.ID)
		_ = q.kv.Purge(context.WithoutCancel(ctx), spec.ID)
	}
	if err := q.putInputs(ctx, spec.ID, image, mask); err != nil {
		undo()
		return err
	}
	if _, err := q.js.Publish(ctx, JobsSubject, data, jetstream.WithMsgID(spec.ID)); err != nil {
		undo()
		if isQueueFull(err) {
			return ErrQueueFull
		}
		return fmt.Errorf("queue: publish job %s: %w", spec.ID, err)
	}
	return nil
}

func isQueueFull(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && strings.Contains(apiErr.Description, "maximum messages") {
		return true
	}
	return strings.Contains(err.Error(), "maximum messages exceeded")
}

func (q *Queue) putInputs(ctx context.Context, id string, image, mask []byte) error {
	for name, b := range map[string][]byte{"image": image, "mask": mask} {
		if b == nil {
			continue
		}
		if len(b) > q.opts.MaxBlobBytes {
			return fmt.Errorf("queue: %s of %d bytes is over the %d-byte limit", name, len(b), q.opts.MaxBlobBytes)
		}
		if _, err := q.blobs.PutBytes(ctx, id+"/"+name, b); err != nil {
			return fmt.Errorf("queue: store %s of job %s: %w", name, id, err)
		}
	}
	return nil
}

func (q *Queue) removeBlobs(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, name := range []string{"image", "mask"} {
		_ = q.blobs.Delete(ctx, id+"/"+name)
	}
}

// Input returns a job's stored input image ("image" or "mask").
func (q *Queue) Input(ctx context.Context, id, name string) ([]byte, error) {
	b, err := q.blobs.GetBytes(ctx, id+"/"+name)
	if err != nil {
		return nil, fmt.Errorf("queue: %s of job %s: %w", name, id, err)
	}
	return b, nil
}

// PutResult stores result image n of a job.
func (q *Queue) PutResult(ctx context.Context, id string, n int, png []byte) error {
	if _, err := q.blobs.PutBytes(ctx, fmt.Sprintf("%s/out/%d.png", id, n), png); err != nil {
		return fmt.Errorf("queue: store result %d of job %s: %w", n, id, err)
	}
	return nil
}

// Result returns result image n of a job.
func (q *Queue) Result(ctx context.Context, id string, n int) ([]byte, error) {
	b, err := q.blobs.GetBytes(ctx, fmt.Sprintf("%s/out/%d.png", id, n))
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("queue: result %d of job %s: %w", n, id, err)
	}
	return b, nil
}

// Depth is the number of jobs in the stream: waiting or being worked on.
func (q *Queue) Depth(ctx context.Context) (int, error) {
	info, err := q.jobs.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue: stream info: %w", err)
	}
	return int(info.State.Msgs), nil
}

// DeadLetter publishes a job that gave up on the dead-letter subject.
func (q *Queue) DeadLetter(ctx context.Context, d DeadLetter) error {
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("queue: encode dead letter: %w", err)
	}
	if _, err := q.js.Publish(ctx, DeadSubject, data); err != nil {
		return fmt.Errorf("queue: dead letter %s: %w", d.Spec.ID, err)
	}
	return nil
}

// DeadLetters returns the dead letters stored so far (oldest first).
func (q *Queue) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	info, err := q.dead.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue: dead letters: %w", err)
	}
	var out []DeadLetter
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := q.dead.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("queue: dead letter %d: %w", seq, err)
		}
		var d DeadLetter
		if err := json.Unmarshal(m.Data, &d); err != nil {
			return nil, fmt.Errorf("queue: dead letter %d: %w", seq, err)
		}
		out = append(out, d)
	}
	return out, nil
}

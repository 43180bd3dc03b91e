package queue

import (
	"errors"
	"time"
)

// State is where a job is in its life.
type State string

// The job states. Done, Failed, Invalid and Cancelled are final.
const (
	Queued    State = "queued"
	Running   State = "running"
	Done      State = "done"
	Failed    State = "failed"
	Invalid   State = "invalid"
	Cancelled State = "cancelled"
)

// Final reports whether no further transition follows s.
func (s State) Final() bool {
	return s == Done || s == Failed || s == Invalid || s == Cancelled
}

// Spec is a job as it travels through the queue: the generation parameters
// after the front end has checked them. Input images travel separately
// (object store), flagged by HasImage and HasMask.
type Spec struct {
	ID             string    `json:"id"`
	Model          string    `json:"model"`
	Task           string    `json:"task"` // text2img, img2img or inpaint
	Prompt         string    `json:"prompt"`
	NegativePrompt string    `json:"negative_prompt,omitempty"`
	Width          int       `json:"width,omitempty"`
	Height         int       `json:"height,omitempty"`
	Steps          int       `json:"steps,omitempty"`
	N              int       `json:"n,omitempty"`
	Seed           int64     `json:"seed"`
	GuidanceScale  float64   `json:"guidance_scale,omitempty"`
	Strength       float64   `json:"strength,omitempty"`
	Scheduler      string    `json:"scheduler,omitempty"`
	HasImage       bool      `json:"has_image,omitempty"`
	HasMask        bool      `json:"has_mask,omitempty"`
	Submitted      time.Time `json:"submitted"`
}

// Status is the stored state of a job, kept under its id in the key-value
// bucket.
type Status struct {
	ID    string `json:"id"`
	State State  `json:"state"`
	Spec  Spec   `json:"spec"`
	// Step and Total are the last step reported by the worker.
	Step  int `json:"step,omitempty"`
	Total int `json:"total,omitempty"`
	// Attempts counts deliveries to a worker.
	Attempts int    `json:"attempts,omitempty"`
	Worker   string `json:"worker,omitempty"`
	Error    string `json:"error,omitempty"`
	// Images is the number of result images; Info holds each image's
	// generation parameters text.
	Images   int       `json:"images,omitempty"`
	Info     []string  `json:"info,omitempty"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
}

// Progress is one step event, published on ProgressSubject(id).
type Progress struct {
	ID     string `json:"id"`
	Step   int    `json:"step"`
	Total  int    `json:"total"`
	Worker string `json:"worker,omitempty"`
}

// DeadLetter is published on the dead-letter subject when a job gives up.
type DeadLetter struct {
	Spec     Spec      `json:"spec"`
	Error    string    `json:"error"`
	Attempts int       `json:"attempts"`
	Time     time.Time `json:"time"`
}

// Errors callers branch on.
var (
	// ErrQueueFull: the stream holds its maximum number of jobs.
	ErrQueueFull = errors.New("queue: the job queue is full")
	// ErrNotFound: no job with that id (never submitted, or expired).
	ErrNotFound = errors.New("queue: no such job")
	// ErrConflict: the job changed since it was read (another worker or
	// front end updated it); re-read and decide again.
	ErrConflict = errors.New("queue: job status changed concurrently")
)

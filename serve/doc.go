// Package serve is `autopipe serve`: loaded models behind the HTTP APIs
// image clients already speak, with a durable job queue on NATS JetStream.
//
// # APIs
//
//   - OpenAI images: POST /v1/images/generations and /v1/images/edits
//     (multipart image and optional mask), GET /v1/models.
//   - AUTOMATIC1111 subset: /sdapi/v1/txt2img, img2img (with mask),
//     progress, sd-models, samplers and options (model switch).
//   - Native jobs: POST /v1/jobs returns a job id at once; GET
//     /v1/jobs/{id} its status, /v1/jobs/{id}/events its steps as
//     Server-Sent Events, /v1/jobs/{id}/images/{n} the PNGs (with their
//     generation parameters); DELETE cancels.
//   - A web page at /, /metrics (Prometheus), /healthz and /readyz.
//
// # Queue and workers
//
// Every generation is a job in package queue: the front end checks a
// request against the operator's limits and the library's rules (400 with
// the library's message), queues it (429 with Retry-After when the queue is
// full) and, for the synchronous APIs, waits for its final status. Workers
// hold the models and pull jobs. By default Start runs an embedded NATS
// server with its files in the data directory, plus local workers; with
// Config.NATS set it uses an existing NATS and RunWorker processes on other
// machines share the work.
//
// Requests name models only by their configured names; no path from a
// request reaches the loader.
package serve

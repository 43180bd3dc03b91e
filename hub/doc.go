// Package hub downloads diffusers pipelines and single files from the
// Hugging Face Hub into the cache that huggingface_hub (Python) uses, so
// that a model fetched by either side is found by the other without a
// request. It uses the standard library only, and internal/config (itself
// on the standard library alone) to read JSON files with a size cap and
// Python's NaN and Infinity.
//
// # What it does
//
//   - Resolution: repo ids checked with the Hub's naming rules
//     (ParseRepoID); revision (branch, tag or commit, default "main"),
//     token, endpoint, cache folder and offline mode taken from options or
//     from HF_TOKEN / the token file, HF_ENDPOINT, HF_HUB_CACHE / HF_HOME
//     and HF_HUB_OFFLINE, as huggingface_hub does.
//   - Pipeline selection (Client.DownloadPipeline, Client.Pipeline), as
//     diffusers: model_index.json first, then for each component it lists
//     (not [null, null], not skipped with WithSkipComponents) the config,
//     tokenizer and preprocessor files (.json, .txt, .model) and the
//     safetensors weights, single-file or sharded with their index, of the
//     WithVariant variant when the component has it. Pickle-based formats
//     (.bin, .ckpt, .pt, ...) are never fetched; a component that has only
//     those is an error naming it (ErrNoSafetensors).
//   - Cache layout of huggingface_hub: models--ns--name/blobs/<etag>,
//     snapshots/<commit>/<path> as relative symlinks into blobs (copies
//     where symlinks are unavailable), refs/<revision> holding the commit,
//     .locks/models--ns--name/<etag>.lock.
//   - Robust transfers: into blobs/<etag>.incomplete, renamed into place
//     only once complete and, for LFS files (etag = sha256), verified;
//     resumed with HTTP Range after a dropped connection or from what an
//     earlier run left; retries with exponential backoff on connection
//     errors, 429 and 5xx; bounded parallelism; an inter-process lock per
//     blob (flock on unix, a lock file elsewhere); the token is sent to
//     the Hub's origin only, never to the CDN it redirects to.
//   - Typed errors, matched with errors.Is: ErrRepoNotFound,
//     ErrRevisionNotFound, ErrEntryNotFound, ErrGated, ErrNotCached,
//     ErrNoSafetensors, ErrVariantNotFound, ErrChecksum, ErrDiskFull,
//     ErrInvalidRepoID, ErrHTTP; *Error carries the repo, revision, file
//     and HTTP status.
//   - Progress through a callback (WithProgress), per file and overall.
//
// # What it is not
//
// It does not load or convert weights (see models/weights), does not
// upload, and does not speak the Xet storage protocol: files are fetched
// over plain HTTP(S) from the resolve endpoint. Only model repositories
// are handled (not datasets or spaces).
//
// # Requests made
//
// Online, DownloadPipeline makes one GET /api/models/{repo}/revision/{rev}
// (commit and file list), then for each selected file not yet in
// snapshots/<commit> a HEAD on /{repo}/resolve/{commit}/{path} (redirects
// not followed, except relative ones for renamed repositories; the Hub's
// X-Repo-Commit, X-Linked-Etag / ETag and X-Linked-Size headers give the
// metadata), and a GET only when no blob with that etag is cached. A
// revision given as a commit hash whose snapshot is complete needs no
// request; offline mode (or an unreachable Hub) resolves through
// refs/<revision>.
package hub

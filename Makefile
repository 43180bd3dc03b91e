GO ?= go
PY ?= tools/reference/.venv/bin/python

.PHONY: test test-nocgo bench lint golden fuzz

# The test command CI runs (README: `make test`).
test:
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) test -race -run 'Concurrent|Race' ./autopipeline/ ./schedulers/
	CGO_ENABLED=0 $(GO) build ./...
	CGO_ENABLED=0 $(GO) test ./tensor/...
	$(GO) run ./tools/funcsize -lines 60 -cyclo 15 ./pipelines/... ./internal/engine ./models/... ./schedulers/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./tensor/...

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Regenerate fixtures and golden tensors with diffusers (needs the venv, see tools/reference/README.md).
golden:
	$(MAKE) -C tools/reference all

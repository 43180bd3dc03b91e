GO ?= go
PY ?= tools/reference/.venv/bin/python

.PHONY: test test-nocgo test-arm64 bench lint golden fuzz

# The test command CI runs (README: `make test`).
test:
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) test -race -run 'Concurrent|Race' ./autopipeline/ ./schedulers/
	CGO_ENABLED=0 $(GO) build ./...
	CGO_ENABLED=0 $(GO) test ./tensor/...
	$(GO) run ./tools/funcsize -lines 60 -cyclo 15 ./pipelines/... ./internal/engine ./models/... ./schedulers/...

# arm64 (NEON GEMM micro-kernel, FCVTL half conversion): cross-compiled test
# binaries run under qemu-aarch64 (Debian package qemu-user). Correctness
# only: emulated timings say nothing about arm64 speed.
QEMU_AARCH64 ?= qemu-aarch64
test-arm64:
	GOARCH=arm64 CGO_ENABLED=0 $(GO) vet ./tensor/... ./models/weights/
	GOARCH=arm64 CGO_ENABLED=0 $(GO) test -c -o .arm64/tensor.test ./tensor/
	GOARCH=arm64 CGO_ENABLED=0 $(GO) test -c -o .arm64/weights.test ./models/weights/
	cd tensor && $(QEMU_AARCH64) ../.arm64/tensor.test
	cd models/weights && $(QEMU_AARCH64) ../../.arm64/weights.test -test.run 'F16|BF16|Convert|Precision'

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./tensor/...

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Regenerate fixtures and golden tensors with diffusers (needs the venv, see tools/reference/README.md).
golden:
	$(MAKE) -C tools/reference all

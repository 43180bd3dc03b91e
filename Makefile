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
	$(GO) run ./tools/funcsize -lines 60 -cyclo 15 ./pipelines/... ./internal/engine ./models/... ./schedulers/... ./serve/...

# The arm64 kernels (NEON GEMM, half/bfloat16 widening), cross-compiled and
# run under user-mode QEMU (Debian package qemu-user; qemu-aarch64 is called
# directly, no binfmt needed). Speed is not measured here, only results.
QEMU_AARCH64 ?= qemu-aarch64
ARM64_BIN ?= $(or $(TMPDIR),/tmp)/goautopipe-arm64
test-arm64:
	GOARCH=arm64 $(GO) build ./...
	GOARCH=arm64 $(GO) vet ./tensor/... ./models/weights/
	mkdir -p $(ARM64_BIN)
	GOARCH=arm64 $(GO) test -c -o $(ARM64_BIN)/tensor.test ./tensor/
	GOARCH=arm64 $(GO) test -c -o $(ARM64_BIN)/weights.test ./models/weights/
	cd tensor && $(QEMU_AARCH64) $(ARM64_BIN)/tensor.test -test.v -test.run 'TestGemmImplementations|NEON'
	cd tensor && $(QEMU_AARCH64) $(ARM64_BIN)/tensor.test -test.short
	cd models/weights && $(QEMU_AARCH64) $(ARM64_BIN)/weights.test -test.v -test.run 'ToF32|AsmMatches|F16Values'

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./tensor/...

# Each fuzz target in turn (go test runs one -fuzz target at a time).
FUZZTIME ?= 2m
fuzz:
	$(GO) test ./internal/config -run '^$$' -fuzz FuzzConfigLoading -fuzztime $(FUZZTIME)
	$(GO) test ./autopipeline -run '^$$' -fuzz FuzzRequestValidation -fuzztime $(FUZZTIME)
	$(GO) test ./models/weights -run '^$$' -fuzz FuzzParseHeader -fuzztime $(FUZZTIME)

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Regenerate fixtures and golden tensors with diffusers (needs the venv, see tools/reference/README.md).
golden:
	$(MAKE) -C tools/reference all

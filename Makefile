# FastServe: the two quick-start commands are `make run` and `make test`.
# Everything else here is for developers (see README, "Make targets").
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build/release
ASAN_BUILD ?= build/asan
CMAKE_FLAGS ?=
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
MODEL ?= models/fashion_mnist_cnn.onnx
IMAGE ?= models/samples/sample_0_ankle_boot.png

.PHONY: run test deps build build-asan unit asan-test conformance conformance-data fuzz fuzz-long bench bench-gemm models golden qat compress prune-table zoo zoo-check bench-peers bench-serve quant-table soak clean

deps:
	@tools/install_deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# Set up, build Release, and classify a bundled image.
run: build
	$(BUILD)/fastserve run --model $(MODEL) --input $(IMAGE) --topk 3

$(ASAN_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(ASAN_BUILD) $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
	  -DFASTSERVE_SANITIZE=ON -DFASTSERVE_CUDA=OFF $(CMAKE_FLAGS)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j$(JOBS)

# Unit + CLI + model tests on the Release build (the ONNX node tests included).
unit: build conformance-data
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
asan-test: build-asan conformance-data
	cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS)

# Everything `make test` runs: set-up, Release tests, sanitizer tests, a short fuzz run.
test: unit asan-test fuzz

# ONNX backend node tests (tests/conformance): generated from the pip onnx
# package into build/ (regenerated when the onnx version changes), then run
# through the Release build; a test the committed expected file says passes
# that no longer does fails the target, and so does any crash or hang.
CONFORMANCE_DATA ?= build/onnx-node-tests
CONFORMANCE_ARGS ?=
conformance-data: deps
	@tools/setup_venv.sh
	@want=$$(.venv/bin/python -c 'import onnx; print(onnx.__version__)'); \
	  if [ "$$(cat $(CONFORMANCE_DATA)/ONNX_VERSION 2>/dev/null)" != "$$want" ]; then \
	    .venv/bin/python tools/make_onnx_node_tests.py --out $(CONFORMANCE_DATA); fi

conformance: conformance-data build
	$(BUILD)/tests/fastserve_conformance --data $(CONFORMANCE_DATA) \
	  --expected tests/conformance/expected_results.txt $(CONFORMANCE_ARGS)

FUZZ_SECONDS ?= 30
fuzz: deps
	@tools/run_fuzz.sh $(FUZZ_SECONDS)

fuzz-long:
	@tools/run_fuzz.sh 1800

# Google Benchmark microbenchmarks (not part of test).
bench: deps $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DFASTSERVE_BUILD_BENCH=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target fastserve_bench
	$(BUILD)/bench/fastserve_bench --benchmark_min_time=0.2

# Our GEMM vs oneDNN vs Eigen at 1 and 2 threads; rewrites the GEMM section of docs/benchmarks.md.
bench-gemm: deps $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DFASTSERVE_BUILD_BENCH=ON >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target fastserve_bench
	python3 bench/kernels/gemm_table.py --bench $(BUILD)/bench/fastserve_bench

# Regenerate the shipped models and ONNX Runtime goldens (needs Python; not part of test).
models:
	tools/install_deps.sh --torch && tools/setup_venv.sh && .venv/bin/python tools/train_fashion_mnist.py

golden:
	tools/setup_venv.sh && .venv/bin/python tools/make_test_models.py && .venv/bin/python tools/make_golden.py

# Quantization-aware training of the Fashion-MNIST CNN, exported as QDQ ONNX to build/qat/ and
# checked in ONNX Runtime and `fastserve eval` (~1 min on 2 cores; not part of test).
# QAT_ARGS=--smoke runs 50 steps as a self-check.
QAT_ARGS ?=
qat: build
	tools/install_deps.sh --torch && tools/setup_venv.sh && .venv/bin/python tools/qat_fashion_mnist.py --fastserve-bin $(BUILD)/fastserve $(QAT_ARGS)

# Pruning (magnitude global / per layer and channel; one-shot, fine-tuned and gradual),
# distillation, and distill -> prune -> INT8 of the Fashion-MNIST CNN into build/compress/, each
# model measured by `fastserve eval` and `bench`, the channel-pruned files checked against ORT;
# prints the tables (~40 min on 2 cores; not part of test; --smoke ~3 min).
# e.g. COMPRESS_ARGS="--quantizer fastserve,qat,weight-only"
COMPRESS_ARGS ?=
compress: build
	tools/install_deps.sh --torch && tools/setup_venv.sh && .venv/bin/python tools/compress_fashion_mnist.py --fastserve-bin $(BUILD)/fastserve $(COMPRESS_ARGS)

# docs/pruning.md's engine figures: `fastserve prune` on the Fashion-MNIST CNN (accuracy against
# sparsity) and ResNet-18 (needs make zoo), timed against dense; pruned files in build/prune/
# (~10 min on 2 cores; not part of test).
prune-table: build
	python3 bench/prune/pruning_table.py --fastserve-bin $(BUILD)/fastserve --resnet18 zoo/resnet18/model.onnx --out build/prune

# Benchmark zoo: torchvision CNNs, ViT-tiny and BERT-base / GPT-2-small shaped transformers
# (tools/zoo_transformers.py) with random weights as ONNX in zoo/ (git-ignored, ~1.5 GB; needs
# Debian's python3-torch; not part of test). Skips what exists; ZOO_ARGS=--force re-exports.
ZOO_ARGS ?=
zoo:
	tools/install_deps.sh --torch && tools/setup_venv.sh && .venv/bin/python tools/make_zoo.py $(ZOO_ARGS)

# Every zoo model through fastserve against ONNX Runtime at batch 1 and at other batch sizes
# and sequence lengths (max rel error <= 1e-4); not part of test (needs the zoo).
zoo-check: zoo build
	.venv/bin/python tools/check_zoo.py --fastserve-bin $(BUILD)/fastserve $(ZOO_CHECK_ARGS)

# fastserve vs ONNX Runtime vs PyTorch on the zoo; rewrites a section of docs/benchmarks.md.
# e.g. make bench-peers PEERS_ARGS="--threads 1,2 --json peers.json". On a busy machine, shield
# the run: setsid sh -c 'echo -20 >/proc/self/autogroup; exec nice -n -20 make bench-peers'
PEERS_ARGS ?=
bench-peers: zoo build
	.venv/bin/python bench/peers/bench_peers.py --fastserve-bin $(BUILD)/fastserve $(PEERS_ARGS)

# The Fashion-MNIST quantization table (accuracy, size, latency vs ONNX Runtime for every
# `fastserve quantize` mode and QAT); rewrites its section of docs/quantization.md.
quant-table: build
	tools/setup_venv.sh && .venv/bin/python bench/quant/fashion_mnist_table.py --fastserve-bin $(BUILD)/fastserve $(QUANT_TABLE_ARGS)

# `fastserve serve` throughput and latency, dynamic batching off vs on, measured with
# `fastserve bench --server`; rewrites a section of docs/serving.md (not part of test).
# e.g. make bench-serve SERVE_BENCH_ARGS="--duration 5 --rounds 1 --json serve.json"
SERVE_BENCH_ARGS ?=
bench-serve: zoo build
	python3 bench/serve/serve_table.py --fastserve-bin $(BUILD)/fastserve --write docs/serving.md $(SERVE_BENCH_ARGS)

# 10 minutes of mixed valid and invalid traffic against one `fastserve serve` (not part of test);
# fails on RSS growth > 5%, a failed valid request, a 5xx / 2xx / hang for an invalid one, or a
# crash. The venv's Python adds the gRPC cases. e.g. make soak SOAK_ARGS="--duration 60 --json soak.json"
SOAK_ARGS ?=
SOAK_PY ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
soak: build
	$(SOAK_PY) bench/serve/soak.py --fastserve-bin $(BUILD)/fastserve --duration 600 $(SOAK_ARGS)

clean:
	rm -rf build

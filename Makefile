# Thin wrapper over CMake. `make` builds build/bin/joinery (Debug, ASan+UBSan); `make test` runs every
# test under ctest; `make demo` runs the Trainium example through `joinery simulate`; `make bench`
# builds Release into build-release/ and runs the benchmarks (BENCH_FLAGS='--only diverse_.* --markdown'
# passes flags to joinery_karpenter_bench).
JOBS ?= $(shell nproc)
# ccache, when the machine has it, makes rebuilds in fresh clones cheap; it is optional.
LAUNCHER := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache,)
BUILD ?= build
RELEASE_BUILD ?= build-release

.PHONY: all deps configure build test release-controller demo bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Debug -DJOINERY_SANITIZE=ON $(LAUNCHER) \
	  -DJOINERY_SCALE_BIN=$(abspath $(RELEASE_BUILD))/bin/joinery

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The scale test runs the Release controller (its RSS is what users get), so `test` builds it too.
test: build release-controller
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

release-controller: deps $(RELEASE_BUILD)/CMakeCache.txt
	cmake --build $(RELEASE_BUILD) -j $(JOBS) --target joinery

demo: build
	$(BUILD)/bin/joinery simulate --env KARPENTER_NODE_ROLE=KarpenterNodeRole-demo \
	  --env EKS_CLUSTER_NAME=demo examples/trainium

$(RELEASE_BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(RELEASE_BUILD) -DCMAKE_BUILD_TYPE=Release -DJOINERY_SANITIZE=OFF $(LAUNCHER)

# The Karpenter comparison table first (pinned to one CPU when taskset exists: the targets are per
# core), then the Google Benchmark suite; a failed plan check in the first still fails the target.
PIN := $(if $(shell command -v taskset),taskset -c 0,)
bench: deps $(RELEASE_BUILD)/CMakeCache.txt
	cmake -S . -B $(RELEASE_BUILD) > /dev/null  # an older build tree learns the new targets
	cmake --build $(RELEASE_BUILD) -j $(JOBS) --target joinery_bench joinery_karpenter_bench
	$(PIN) $(RELEASE_BUILD)/bin/joinery_karpenter_bench $(BENCH_FLAGS); status=$$?; \
	  $(RELEASE_BUILD)/bin/joinery_bench && exit $$status

clean:
	rm -rf $(BUILD) $(RELEASE_BUILD)

# Ringside: system set-up, build, run, test, benchmark.
# `make run` and `make test` work on a fresh Debian 12 machine with Swift 6.3
# at /opt/swift; they install what is missing (apt-get, when root).

SWIFT ?= swift
PORT ?= 3000
APT_PACKAGES = liburing-dev pkg-config
BENCH_PACKAGES = wrk procps python3-venv linux-perf perl

.PHONY: deps bench-deps build release run test test-asan bench compare flamegraph clean

# Installs the system packages the build needs, only when one is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "missing packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

bench-deps: deps
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "missing packages:$$missing"; exit 1; fi; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: release
	.build/release/ringside serve --port $(PORT)

# Unit tests, integration tests against the real binary, the allocation probe.
test: deps
	$(SWIFT) build -c release --product AllocationProbe
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The same suite under AddressSanitizer, in a build folder of its own: the
# servers it starts are ASan builds too, and a report makes them exit non-zero.
test-asan: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --skip AllocationTests

# /v1/avatar on one pinned core.
bench: bench-deps
	bench/avatar

# Ringside io_uring vs epoll vs nginx vs Hummingbird 2 vs hyper; table and chart.
compare: bench-deps
	bench/compare

# perf flamegraph of one engine under load: make flamegraph ENGINE=epoll
ENGINE ?= uring
flamegraph: bench-deps
	bench/flamegraph --engine $(ENGINE)

clean:
	rm -rf .build .build-asan

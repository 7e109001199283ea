# Corral: `make demo` runs the demo fleet, `make test` builds and runs every test.
# Both install what is missing from Debian first (scripts/install-deps.sh, apt-get only).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps build build-asan test test-release test-asan test-npm test-browser demo bench bench-quick fuzz clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

# AddressSanitizer + UndefinedBehaviorSanitizer build of everything, tests included: `make test` builds
# only this one, and every suite (ctest, the npm clients, the TypeScript client, Chromium) runs against
# its binary, so the whole product is exercised under the sanitizers and CI compiles the code once.
# -O0 -g1: the suite waits on sockets, so optimisation barely shortens it while -O1 doubles the compile
# time of the coroutine-heavy files; -g1 keeps file:line in sanitizer reports.
build-asan: deps
	@test -f $(ASAN_BUILD)/CMakeCache.txt || cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) \
	  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DCORRAL_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)

# Sanitizer settings for every process the tests start (gateways, sims, agents spawned by ctest or node).
export ASAN_OPTIONS  ?= detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

# TEST_BUILD: which build the suites run against (make test-release TEST_BUILD=build for the optimised one).
TEST_BUILD  ?= $(ASAN_BUILD)
TEST_CORRAL := $(abspath $(TEST_BUILD))/corral
# Integration tests mostly wait on sockets and child processes: run more of them than there are cores.
CTEST_JOBS  ?= $(shell echo $$(( $(JOBS) * 2 )))

test-asan: build-asan
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(CTEST_JOBS)

test-release: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(CTEST_JOBS)

# The official `ollama` and `openai` npm clients as callers (tests/npm, lockfile committed).
# A missing package.json or lockfile fails the target: a silent skip would hide the client tests.
# No --test-concurrency: Debian 12's Node 18 lacks the flag, and the files share nothing (own ports).
test-npm: build-asan
	@test -f tests/npm/package.json && test -f tests/npm/package-lock.json || \
	  { echo "test-npm: tests/npm/package.json or package-lock.json is missing" >&2; exit 1; }
	cd tests/npm && npm ci --no-audit --no-fund --loglevel=error && \
	  CORRAL_BINARY=$(TEST_CORRAL) node --test

# The resilient TypeScript client (clients/typescript, lockfile committed) against real sims and gateways.
.PHONY: test-client
test-client: build-asan
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent && \
	  CORRAL_BINARY=$(TEST_CORRAL) node --test --test-concurrency=1 test/*.test.mjs

# The live status page in headless Chromium (no npm packages needed).
test-browser: build-asan
	CORRAL_BINARY=$(TEST_CORRAL) node --test --test-concurrency=1 tests/browser/

# A short libFuzzer run on the request-head checks and model extraction (see `fuzz` below).
.PHONY: test-fuzz
test-fuzz:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)
TEST_FUZZ_SECONDS ?= 20

test: test-asan test-npm test-client test-browser test-fuzz

# The demo needs only the gateway binary, not the test suite `make build` also compiles: a newcomer waits
# for one link. The fleet stays up on 127.0.0.1:11434 (a free port when that is taken) until Ctrl-C;
# the knobs (DEMO_HOLD=0 for scripts, DEMO_PORT, DEMO_DURATION, ...) are in scripts/demo.sh's header.
demo: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) --target corral -j$(JOBS)
	CORRAL_BINARY=$(abspath $(BUILD))/corral scripts/demo.sh

bench: build
	@scripts/install-deps.sh --bench
	bench/run.sh

bench-quick: build
	@scripts/install-deps.sh --bench
	bench/run.sh --quick

# libFuzzer on the request head checks and model extraction (fuzz/), with clang. `make test` runs it for
# TEST_FUZZ_SECONDS; FUZZ_SECONDS bounds a run by hand; new inputs go to build-fuzz/corpus, seeded by the
# hostile-request corpus. Run at length by hand: make fuzz FUZZ_SECONDS=3600.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_SRCS := fuzz/fuzz_request_head.cpp src/http/request_checks.cpp src/common/error.cpp src/routing/router.cpp \
             src/routing/request_info.cpp src/routing/model_name.cpp src/common/model_name.cpp src/common/units.cpp \
             src/common/hash.cpp

$(FUZZ_BUILD)/fuzz_request_head: $(FUZZ_SRCS) $(wildcard src/http/*.hpp src/routing/*.hpp src/common/*.hpp)
	@scripts/install-deps.sh --fuzz
	@mkdir -p $(FUZZ_BUILD)
	clang++-14 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -DBOOST_ASIO_NO_DEPRECATED -Isrc $(FUZZ_SRCS) -o $@ -lsimdjson -lfmt

# Seeds: the hostile-request corpus without its `expect ...` first line.
fuzz: $(FUZZ_BUILD)/fuzz_request_head
	@mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds
	@for f in tests/corpus/requests/*.http; do tail -n +2 "$$f" > $(FUZZ_BUILD)/seeds/$$(basename "$$f"); done
	$(FUZZ_BUILD)/fuzz_request_head -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/http.dict -print_final_stats=1 \
	  $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/seeds

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz

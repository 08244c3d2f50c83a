# ajpq front door. `make check` does all set-up on a fresh Debian 12 machine
# (installs missing packages when run as root), builds, and runs every test.
#
#   make check              build + lit + C unit tests (non-zero on any failure)
#   make check SANITIZE=1   the same under ASan + UBSan (separate build dir)
#   make build              configure + build only
#   make data               fetch models and data sets into $(AJPQ_DATA)
#   make demo               the end-to-end job on the built-in default model
#   make format             clang-format every C source

SANITIZE ?= 0
WERROR ?= $(if $(CI),1,0)
BUILD_TYPE ?= RelWithDebInfo
ifeq ($(SANITIZE),1)
BUILD_DIR ?= build-asan
else
BUILD_DIR ?= build
endif
export AJPQ_DATA ?= $(HOME)/.cache/ajpq
LLVM_BIN := /usr/lib/llvm-22/bin
LIT_ARGS ?= -sv

.PHONY: all deps configure build check data demo format clean

all: build

deps:
	@sh scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja \
	  -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DAJPQ_WERROR=$(if $(filter 1,$(WERROR)),ON,OFF) \
	  -DAJPQ_SANITIZE=$(if $(filter 1,$(SANITIZE)),ON,OFF) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR)

# Data-dependent tests (REQUIRES: data) need the cache: fetch it first.
check: build data
	@AJPQ_BUILD_DIR=$(abspath $(BUILD_DIR)) python3 $(LLVM_BIN)/lit $(LIT_ARGS) test

# Fetches models and data sets (pinned, sha256-checked) into $(AJPQ_DATA);
# offline once fetched. Owned by scripts/fetch-data.sh.
data: deps
	@if [ -x scripts/fetch-data.sh ]; then sh scripts/fetch-data.sh; fi

# The end-to-end demo: compress BlazeFace front on LFW, compile, run, print the table and
# write out/demo/. Owned by scripts/demo.sh (knobs: AJPQ_DEMO_EPISODES etc., see the script).
demo: deps
	@AJPQ_BUILD_DIR=$(abspath $(BUILD_DIR)) sh scripts/demo.sh

clean:
	rm -rf build build-asan

format:
	@find . -path ./build -prune -o -path ./build-asan -prune -o \
	  \( -name '*.c' -o -name '*.h' \) -print | grep -v '/generated/' | xargs clang-format -i

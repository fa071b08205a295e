# One command each: `make site` builds everything, `make test` runs the tests.
# Every target bootstraps .venv from pyproject.toml on first use (and when it changes).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RUN    := $(PY) -m generator
# an editable install whose .pth names the checkout: setuptools' default import hook for editable
# installs costs every command 20 ms of start-up (python -c pass: 39 -> 18 ms)
PIP_INSTALL = $(PY) -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=compat -e
# the Nu HTML validator that tests/site/test_html_valid.py runs, installed from npm by `make test`
VNU_VERSION := 26.9.27
VNU    := .cache/npm/node_modules/vnu-jar/build/dist/vnu.jar
# CLUSTER=local (every GPU here) or ray://HOST:PORT: generate on Ray workers (installs Ray first)
CLUSTER ?=
ON_CLUSTER = $(if $(CLUSTER),--cluster $(CLUSTER))
RAY = $(if $(CLUSTER),$(PY) -c 'import ray' 2>/dev/null || $(PIP_INSTALL) '.[cluster]')

.PHONY: site draft generate posts build check weights deploy serve dream test bench clean

site: $(STAMP)            ## generate missing images, write posts, render site/ (CLUSTER=...)
	$(RAY)
	$(RUN) site $(ON_CLUSTER)

draft: $(STAMP)           ## the whole site now, placeholders for images not generated yet
	$(RUN) draft

generate: $(STAMP)        ## only generate missing or changed images (needs a CUDA GPU; CLUSTER=...)
	$(RAY)
	$(RUN) generate $(ON_CLUSTER)

posts: $(STAMP)           ## only write content/ from gallery.yaml
	$(RUN) write

build: $(STAMP)           ## only render content/ into site/
	$(RUN) build

check: $(STAMP)           ## validate gallery.yaml and content/, report every problem
	$(RUN) check

weights: $(STAMP)         ## download and verify the CLIP and BigGAN checkpoints once
	$(RUN) weights

deploy: $(STAMP)          ## rebuild, publish site/ to `site.deploy` (TO=..., DRY_RUN=1, DELETE=1 for S3)
	$(RUN) deploy $(if $(TO),--to="$(TO)") $(if $(DRY_RUN),--dry-run) $(if $(DELETE),--delete)

serve: $(STAMP)           ## preview on http://localhost:1313, rebuilt and reloaded on every change
	$(RUN) serve

dream: $(STAMP)           ## one image from PROMPT="..." outside the gallery (ARGS="--seed 7 ...")
	$(if $(PROMPT),,$(error give a prompt: make dream PROMPT="a lighthouse at dawn"))
	$(RUN) dream "$(PROMPT)" $(ARGS)

test: $(STAMP)            ## lint and the whole test suite (installs the system tools it drives)
	bash tests/system_tools.sh
	$(MAKE) --no-print-directory $(VNU)
	$(PY) -m ruff check generator tests bench
	$(PY) -m pytest -n auto --dist loadgroup -q

bench: $(STAMP)           ## speed and memory against the baselines, as ratios (QUICK=1: small inputs)
	$(PY) -m bench $(if $(QUICK),--quick) $(ONLY)

$(VNU):
	npm install --prefix .cache/npm --no-audit --no-fund --silent vnu-jar@$(VNU_VERSION)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) '.[dev]'
	touch $(STAMP)

clean:
	rm -rf site .site-previous .cache .pytest_cache .ruff_cache

# The book's two commands: `make html` builds it, `make test` tests it.
# TABS=jax (or TABS=pytorch,jax) limits a build to some frameworks,
# LANGS=ko (or LANGS=none) to some translations; English is always built.
PYTHON ?= python3
TABS ?= all
LANGS ?= all
TAB ?= pytorch
PORT ?= 8888

.PHONY: html eval lint lib envs test translations jupyter edit serve clean

html:
	$(PYTHON) -m builder html --tabs $(TABS) --langs $(LANGS)

eval:
	$(PYTHON) -m builder eval --tabs $(TABS) --langs $(LANGS)

lint:
	$(PYTHON) -m builder lint

lib:
	$(PYTHON) -m builder lib

envs:
	$(PYTHON) -m builder envs

test:
	$(PYTHON) -m builder test

# Translations whose English page changed, with the diff to translate
translations:
	$(PYTHON) -m builder translations

# Jupyter in one framework's environment, on its executed notebooks
jupyter:
	py=$$($(PYTHON) -m builder python $(TAB)) && \
	  cd _build/eval_$(TAB) && PYTHONPATH=$(CURDIR) $$py -m jupyter lab

# Author mode: JupyterLab on the pages' Markdown, in one framework's
# environment, on 127.0.0.1 with a token (README, "Writing a section")
edit:
	py=$$($(PYTHON) -m builder python $(TAB)) && \
	  PYTHONPATH=$(CURDIR) $$py -m builder.tools.author --tab $(TAB) --port $(PORT)

serve:
	$(PYTHON) -m http.server --directory _build/html 8000

clean:
	rm -rf _build

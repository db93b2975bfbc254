# The book's two commands: `make all` builds it (HTML and PDFs), `make
# test` tests it; `make html` and `make pdf` build one of the two.
# TABS=jax (or TABS=pytorch,jax) limits a build to some frameworks,
# LANGS=ko (or LANGS=none) to some translations; English is always built.
PYTHON ?= python3
TABS ?= all
LANGS ?= all
TAB ?= pytorch
# EXECUTOR=ray RAY_ADDRESS=host:port runs the notebooks on a Ray cluster;
# GPU=1 then runs the pages that ask for a GPU on its GPU nodes
EXECUTOR ?= local
RAY_ADDRESS ?=
GPU ?=
RUN_ON = --executor $(EXECUTOR) $(if $(RAY_ADDRESS),--ray-address $(RAY_ADDRESS)) $(if $(GPU),--gpu)

.PHONY: all html pdf eval lint lib envs test translations jupyter edit serve clean

all:
	$(PYTHON) -m builder all --tabs $(TABS) --langs $(LANGS)

html:
	$(PYTHON) -m builder html --tabs $(TABS) --langs $(LANGS) $(RUN_ON)

pdf:
	$(PYTHON) -m builder pdf --tabs $(TABS) --langs $(LANGS)

eval:
	$(PYTHON) -m builder eval --tabs $(TABS) --langs $(LANGS) $(RUN_ON)

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
EDIT_PORT ?= 8888
edit:
	py=$$($(PYTHON) -m builder python $(TAB)) && \
	  PYTHONPATH=$(CURDIR) $$py -m builder.tools.author --tab $(TAB) --port $(EDIT_PORT)

# The HTML for this machine only; HOST=0.0.0.0 (or an address) serves it
# to the network as well
HOST ?= 127.0.0.1
PORT ?= 8000
serve:
	$(PYTHON) -m http.server --bind $(HOST) --directory _build/html $(PORT)

clean:
	rm -rf _build

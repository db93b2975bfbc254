# The book's two commands: `make all` builds it (HTML and PDFs), `make
# test` tests it; `make html` and `make pdf` build one of the two.
# TABS=jax (or TABS=pytorch,jax) limits a build to some frameworks,
# LANGS=ko (or LANGS=none) to some translations; English is always built.
PYTHON ?= python3
TABS ?= all
LANGS ?= all
TAB ?= pytorch

.PHONY: all html pdf eval lint lib envs test translations jupyter serve clean

all:
	$(PYTHON) -m builder all --tabs $(TABS) --langs $(LANGS)

html:
	$(PYTHON) -m builder html --tabs $(TABS) --langs $(LANGS)

pdf:
	$(PYTHON) -m builder pdf --tabs $(TABS) --langs $(LANGS)

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

# The HTML for this machine only; HOST=0.0.0.0 (or an address) serves it
# to the network as well
HOST ?= 127.0.0.1
PORT ?= 8000
serve:
	$(PYTHON) -m http.server --bind $(HOST) --directory _build/html $(PORT)

clean:
	rm -rf _build

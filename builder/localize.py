"""Translated notebooks, with the outputs of the English build.

Runs in the tools environment as ``python -m builder.localize LANG...``
after the English notebooks are executed. A translated page's code is
the English code (the lint step proves it, comments aside), so each of
its framework notebooks takes its outputs from the English notebook of
the same framework, cell by cell: adding a language starts no kernel.
Prints one JSON line per notebook written.
"""
import json
import logging
import sys
from pathlib import Path

import nbformat
from d2lbook.config import Config

from builder import keys
from builder.pages import ROOT, Job, pages
from builder.prepare import code_cells, tab_notebook, write_if_changed


def localize(job, english, config):
    out = ROOT / job.out
    nb = tab_notebook(job.page, job.tab, config)
    code_key = english.metadata['builders_guide'].get('key')
    for cell, done in zip(code_cells(nb), code_cells(english)):
        cell.execution_count, cell.outputs = done.execution_count, done.outputs
    nb.metadata['builders_guide'] = {
        'key': code_key, 'source': keys.translation_key(job, code_key)}
    nb.metadata['language_info'] = {'name': 'python'}
    write_if_changed(out, nbformat.writes(nb))


def main():
    """python -m builder.localize LANG,... TAB,..."""
    logging.disable(logging.INFO)
    langs, selected_tabs = (arg.split(',') for arg in sys.argv[1:3])
    config = Config(config_fname=str(ROOT / 'config.ini'))
    for lang in langs:
        for page in pages():
            translated = Path(lang) / page
            for tab in selected_tabs:
                job = Job(translated, tab)
                english = ROOT / Job(page, tab).out
                if keys.is_current(job):
                    continue
                if english.stat().st_size == 0:  # no cells in English
                    write_if_changed(ROOT / job.out, '')
                    continue
                localize(job, nbformat.read(english, as_version=4), config)
                print(json.dumps({'page': str(translated), 'tab': tab}),
                      flush=True)


if __name__ == '__main__':
    main()

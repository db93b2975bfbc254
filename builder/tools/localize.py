"""Translated notebooks, with the outputs of the English build.

``<tools python> -m builder.tools.localize --langs ko,ja --tabs A,B``,
after the English notebooks are executed. A translated page's code is the
English code (the lint step proves it, comments aside), so each of its
framework notebooks takes its outputs from the English notebook of the
same framework, cell by cell: adding a language starts no kernel. Prints
one JSON line per notebook written.
"""
from d2lbook.config import Config

from builder import book, state
from builder.tools import (arguments, emit, notebooks, run_step,
                           working_on)


def localize(job, english, config):
    source = state.source_parts(job)
    english_meta = english.metadata[state.META]
    code = english_meta['code']
    nb = notebooks.tab_notebook(job.page, job.tab, config) \
        if code is not None else None
    if nb is None:
        nb = notebooks.empty_notebook()
    for cell, done in zip(notebooks.code_cells(nb),
                          notebooks.code_cells(english)):
        cell.execution_count, cell.outputs = done.execution_count, done.outputs
    nb.metadata[state.META] = state.metadata(
        state.key_of(source), code, {'source': source})
    notebooks.write(book.ROOT / job.out, nb)


def main():
    args = arguments(__doc__.splitlines()[0])
    config = Config(config_fname=str(book.ROOT / 'config.ini'))
    for lang in args.langs:
        for page in book.pages():
            for tab in args.tabs:
                job = book.Job(book.translated(lang, page), tab)
                if state.is_current(job):
                    continue
                working_on(str(job))
                english = notebooks.read(book.ROOT / book.Job(page, tab).out)
                localize(job, english, config)
                emit(page=str(job.page), tab=tab)


if __name__ == '__main__':
    run_step('localize', main)

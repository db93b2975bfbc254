"""Regenerate d2l's generated part, then select each framework's cells.

Runs in the tools environment as ``python -m builder.prepare TAB...``,
for the pages whose ``source`` key changed (see builder.keys). For each
page and framework, d2lbook picks the framework's cells; then either the
code is unchanged since the last run, and the executed notebook only
gets the new prose, or the selected notebook waits in _build/select for
an executor. Prints one JSON line per notebook: its status.
"""
import json
import logging
import sys

import nbformat
from d2lbook import library, notebook
from d2lbook.config import Config

from builder import keys, lib
from builder.pages import ROOT, Job, input_cell_lines, pages, tabs


def tab_notebook(page, tab, config):
    """The page as a notebook holding only the cells of one framework."""
    md = (ROOT / page).read_text(encoding='utf-8')
    full = notebook.split_markdown_cell(notebook.read_markdown(md))
    nb = notebook.get_tab_notebook(full, tab, config.default_tab)
    if nb is None:
        return None
    if tab in config.library:
        nb = library.replace_alias(nb, config.library[tab])
    nb = library.format_code_nb(nb)
    nb.metadata.pop('required_libs', None)
    # Remember where each cell starts in the Markdown, for error messages
    fences = input_cell_lines(md)
    for cell in code_cells(nb):
        pos = cell.metadata['origin_pos']
        nth = sum(1 for c in full.cells[:pos] if c.cell_type == 'code')
        cell.metadata['md_line'] = fences[nth]
    return nb


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == 'code']


def write_if_changed(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding='utf-8') != text:
        path.write_text(text, encoding='utf-8')


def previous_outputs(path, key):
    """The outputs of the last run of this code, if there was one."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    old = nbformat.read(path, as_version=4)
    if old.metadata.get('builders_guide', {}).get('key') != key:
        return None
    return [(c.get('execution_count'), c.outputs) for c in code_cells(old)]


def prepare(job, config):
    out = ROOT / job.out
    source = keys.source_key(job)
    nb = tab_notebook(job.page, job.tab, config)
    if nb is None:  # the page has code, but none for this framework
        write_if_changed(out, '')
        out.with_suffix('.nocells').write_text(source)
        return 'no-cells'
    key = keys.code_key(job.tab, [c.source for c in code_cells(nb)])
    nb.metadata['builders_guide'] = {'key': key, 'source': source,
                                     'tab': job.tab}
    nb.metadata['language_info'] = {'name': 'python'}
    previous = previous_outputs(out, key)
    if previous is not None or not code_cells(nb):
        for cell, (count, outputs) in zip(code_cells(nb), previous or []):
            cell.execution_count, cell.outputs = count, outputs
        write_if_changed(out, nbformat.writes(nb))
        return 'cached' if code_cells(nb) else 'no-code'
    write_if_changed(ROOT / job.selected, nbformat.writes(nb))
    return 'run'


def main():
    logging.disable(logging.INFO)
    selected_tabs = sys.argv[1:] or tabs()
    if not keys.lib_is_current():
        for tab, text in lib.stale_modules():
            lib.lib_file(tab).write_text(text)
            print(json.dumps({'lib': str(lib.lib_file(tab).relative_to(
                ROOT))}), flush=True)
        keys.LIB_STAMP.parent.mkdir(parents=True, exist_ok=True)
        keys.LIB_STAMP.write_text(keys.lib_stamp())
    config = Config(config_fname=str(ROOT / 'config.ini'))
    # Framework by framework, in the order given: the driver starts
    # executing the first notebooks while later ones are prepared
    for tab in selected_tabs:
        for page in pages():
            job = Job(page, tab)
            if keys.is_current(job):
                continue
            try:
                status = prepare(job, config)
            except Exception as error:  # a page d2lbook cannot read
                print(json.dumps({'page': str(page), 'tab': tab,
                                  'status': 'failed', 'cause':
                                  f'{type(error).__name__}: {error}'}))
                sys.exit(1)
            print(json.dumps({'page': str(page), 'tab': tab,
                              'status': status}), flush=True)


if __name__ == '__main__':
    main()

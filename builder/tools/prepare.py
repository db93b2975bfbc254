"""Regenerate d2l's generated part, then select each framework's cells.

``<tools python> -m builder.tools.prepare --tabs A,B [--dry-run]``, for
the pages whose ``source`` key changed (see builder.state). For each page
and framework, d2lbook picks the framework's cells; then either the code
is unchanged since the last run, and the executed notebook only gets the
new prose, or the selected notebook waits in _build/select for an
executor. Prints one JSON line per notebook: its status, one of

  run      its code changed: it waits in _build/select to be executed
  cached   only its text changed: refreshed, outputs kept
  no-code  the page has no code at all (written as it is)
  no-cells the page has code, but none for this framework

With --dry-run it prints the same lines and writes nothing.
"""
from d2lbook.config import Config

from builder import book, state
from builder.tools import (arguments, emit, lib, notebooks, run_step,
                           working_on)


def previous_outputs(path, code):
    """The outputs of the last run of this code, if there was one."""
    try:
        old = notebooks.read(path)
    except (OSError, ValueError):
        return None
    meta = old.metadata.get(state.META, {})
    if meta.get('code') != code or code is None:
        return None
    return [(c.get('execution_count'), c.outputs)
            for c in notebooks.code_cells(old)]


def prepare(job, config, dry_run=False):
    out = book.ROOT / job.out
    source = state.source_parts(job)
    nb = notebooks.tab_notebook(job.page, job.tab, config)
    if nb is None:
        nb = notebooks.empty_notebook()
        nb.metadata[state.META] = state.metadata(
            state.key_of(source), None, {'source': source})
        if not dry_run:
            notebooks.write(out, nb)
        return 'no-cells'
    sources = [c.source for c in notebooks.code_cells(nb)]
    code = state.code_parts(job.tab, sources,
                            device=state.device(job))
    nb.metadata[state.META] = state.metadata(
        state.key_of(source), state.key_of(code),
        {'source': source, 'code': code})
    previous = previous_outputs(out, state.key_of(code))
    if previous is not None or not sources:
        for cell, (count, outputs) in zip(notebooks.code_cells(nb),
                                          previous or []):
            cell.execution_count, cell.outputs = count, outputs
        if not dry_run:
            notebooks.write(out, nb)
        return 'cached' if sources else 'no-code'
    if not dry_run:
        notebooks.write(book.ROOT / job.selected, nb)
    return 'run'


def regenerate_lib(dry_run):
    if state.lib_is_current():
        return
    for tab, text in lib.stale_modules():
        path = book.lib_file(tab)
        if not dry_run:
            state.write_atomic(path, text)
        emit(lib=str(path.relative_to(book.ROOT)))
    if not dry_run:
        recorded = state.load()
        recorded['lib'] = state.lib_key()
        state.save(recorded)


def main():
    args = arguments(__doc__.splitlines()[0],
                     dry_run='report what would be done, write nothing')
    try:
        regenerate_lib(args.dry_run)
    except lib.SaveError as error:
        emit(page=str(error.page or 'the #@save cells'), line=error.line,
             tab=error.tab, status='failed', cause=error.cause)
        raise SystemExit(1)
    config = Config(config_fname=str(book.ROOT / 'config.ini'))
    # Framework by framework, in the order given: the driver starts
    # executing the first notebooks while later ones are prepared
    for tab in args.tabs:
        for page in book.pages():
            job = book.Job(page, tab)
            if state.is_current(job):
                continue
            working_on(str(job))
            try:
                status = prepare(job, config, args.dry_run)
            except Exception as error:  # a page d2lbook cannot read
                emit(page=str(page), tab=tab, status='failed',
                     cause=f'{type(error).__name__}: {error}')
                raise SystemExit(1)
            emit(page=str(page), tab=tab, status=status)


if __name__ == '__main__':
    run_step('prepare', main)

"""Regenerate, or check, the generated part of each d2l/<framework>.py.

``<tools python> -m builder.tools.lib [--check]``. The part above
d2lbook's marker is written by hand and kept; the part below is what
``d2lbook build lib`` makes from the chapter's #@save cells.
"""
import shutil
import sys
import tempfile
from pathlib import Path

from d2lbook import library

from builder import book, state
from builder.markdown import cells
from builder.tools import arguments, run_step


class SaveError(Exception):
    """A #@save cell that d2lbook cannot put into the d2l module."""

    def __init__(self, page, line, tab, cause):
        super().__init__(cause)
        self.page, self.line, self.tab, self.cause = page, line, tab, cause


def generate(tab, target):
    """Write the module of one framework, regenerated, to target."""
    shutil.copyfile(book.lib_file(tab), target)
    pages = [str(book.ROOT / p) for p in book.pages()]
    try:
        library.save_tab(pages, str(target), tab, book.tabs()[0])
    except Exception as error:
        raise locate(tab, error) from error


def locate(tab, error):
    """The page and #@save cell that make d2lbook fail: each page is
    saved alone until one fails, and its cell is the one that names
    what d2lbook missed (the first #@save cell of the page otherwise)."""
    cause = f'{type(error).__name__}: {error}'
    missing = str(error.args[0]) if error.args else ''
    with tempfile.TemporaryDirectory() as tmp:
        for page in book.pages():
            target = Path(tmp) / book.lib_file(tab).name
            shutil.copyfile(book.lib_file(tab), target)
            try:
                library.save_tab([str(book.ROOT / page)], str(target), tab,
                                 book.tabs()[0])
                continue
            except Exception:
                pass
            text = (book.ROOT / page).read_text(encoding='utf-8')
            saved = [c for c in cells(page, text)
                     if any('#@save' in t for _, t in c.source)]
            named = [c for c in saved if missing and any(
                missing in t for _, t in c.source)]
            cell = (named or saved or [None])[0]
            hint = (' (a class that @d2l.add_to_class extends must itself '
                    'be saved with #@save)' if 'add_to_class' in ''.join(
                        t for _, t in (cell.source if cell else [])) else '')
            return SaveError(page, cell.line if cell else None, tab,
                             f'#@save cell cannot be saved into '
                             f'{book.lib_file(tab).relative_to(book.ROOT)}: '
                             f'{cause}{hint}')
    return SaveError(None, None, tab, cause)


def stale_modules():
    """The d2l modules whose generated part differs from the #@save cells."""
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        for tab in book.tabs():
            fresh = Path(tmp) / book.lib_file(tab).name
            generate(tab, fresh)
            if fresh.read_text() != book.lib_file(tab).read_text():
                stale.append((tab, fresh.read_text()))
    return stale


def main():
    args = arguments(__doc__.splitlines()[0],
                     check='only say which modules differ; exit 1 if any')
    try:
        stale = stale_modules()
    except SaveError as error:
        where = f'{error.page}:{error.line}' if error.page else 'd2l'
        raise SystemExit(f'FAILED {where} [{error.tab}]: {error.cause}')
    for tab, text in stale:
        rel = book.lib_file(tab).relative_to(book.ROOT)
        if args.check:
            print(f'[lib] {rel} differs from the #@save cells of the chapter; '
                  'run `make lib` and commit the result')
        else:
            state.write_atomic(book.lib_file(tab), text)
            print(f'[lib] regenerated {rel} from the #@save cells')
    if args.check and stale:
        sys.exit(1)


if __name__ == '__main__':
    run_step('lib', main)

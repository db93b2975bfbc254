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
from builder.tools import arguments


def generate(tab, target):
    """Write the module of one framework, regenerated, to target."""
    shutil.copyfile(book.lib_file(tab), target)
    pages = [str(book.ROOT / p) for p in book.pages()]
    library.save_tab(pages, str(target), tab, book.tabs()[0])


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
    stale = stale_modules()
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
    main()

"""Regenerate, or check, the generated part of each d2l/<framework>.py.

Runs in the tools environment: ``python -m builder.lib [--check]``. The
part above d2lbook's marker is written by hand and kept; the part below
is what ``d2lbook build lib`` makes from the chapter's #@save cells.
"""
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from d2lbook import library

from builder.pages import ROOT, lib_file, pages, tabs


def generate(tab, target):
    """Write the module of one framework, regenerated, to target."""
    shutil.copyfile(lib_file(tab), target)
    notebooks = [str(ROOT / p) for p in pages()]
    library.save_tab(notebooks, str(target), tab, tabs()[0])


def stale_modules():
    """The d2l modules whose generated part differs from the #@save cells."""
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        for tab in tabs():
            fresh = Path(tmp) / lib_file(tab).name
            generate(tab, fresh)
            if fresh.read_text() != lib_file(tab).read_text():
                stale.append((tab, fresh.read_text()))
    return stale


def main():
    logging.disable(logging.INFO)
    check = '--check' in sys.argv[1:]
    stale = stale_modules()
    for tab, text in stale:
        rel = lib_file(tab).relative_to(ROOT)
        if check:
            print(f'[lib] {rel} differs from the #@save cells of the chapter; '
                  'run `make lib` and commit the result')
        else:
            lib_file(tab).write_text(text)
            print(f'[lib] regenerated {rel} from the #@save cells')
    if check and stale:
        sys.exit(1)


if __name__ == '__main__':
    main()

"""Shared fixtures: the frameworks, their environments, executed notebooks.

Standard library only at import time, so that the fast checks of the
Markdown run on any Python with pytest; nbformat and Playwright are
imported by the tests that need them.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from builder import book, envs

ROOT = book.ROOT
# The browser fixtures: server, browser, context, page, outside
pytest_plugins = ['pages_in_browser']
TABS = book.tabs()


def copy_book(dst):
    """Copy the files git tracks, as they are in the working tree."""
    tracked = subprocess.run(['git', 'ls-files'], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    for name in tracked:
        (dst / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dst / name)
    return dst


def run_in(tab, code):
    """Run Python code in a framework's environment; return its stdout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS='ignore',
               TF_CPP_MIN_LOG_LEVEL='3')
    proc = subprocess.run([str(envs.python(tab)), '-c', code], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def run_json(tab, code):
    """Run code that prints one JSON value as its last line."""
    return json.loads(run_in(tab, code).strip().splitlines()[-1])


def load(page, tab):
    """The executed notebook of a page in one framework."""
    import nbformat
    path = ROOT / book.Job(Path(page), tab).out
    assert path.exists(), f'{path} was not built'
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == 'code']


def output_text(cell):
    """Everything a code cell showed, as text."""
    parts = []
    for out in cell.get('outputs', []):
        if out.output_type == 'stream':
            parts.append(out.text)
        elif 'data' in out:
            parts.append(out.data.get('text/plain', ''))
        elif out.output_type == 'error':
            parts.append(f'{out.ename}: {out.evalue}')
    return '\n'.join(parts)


def cell_with(nb, marker):
    """The one code cell whose source contains marker ('=...': equals)."""
    if marker.startswith('='):
        found = [c for c in code_cells(nb) if c.source == marker[1:]]
    else:
        found = [c for c in code_cells(nb) if marker in c.source]
    assert len(found) == 1, (f'{len(found)} cells contain {marker!r} in '
                             f'{nb.metadata.get("builders_guide")}')
    return found[0]


def shown(page, tab, marker):
    """What the cell containing marker showed, in one framework."""
    return output_text(cell_with(load(page, tab), marker)).strip()


@pytest.fixture(params=TABS)
def tab(request):
    return request.param

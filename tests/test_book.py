"""The built book: every page executed in every framework, cleanly."""
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from builder import book, envs, markdown
from conftest import ROOT, code_cells, load

pytestmark = pytest.mark.book
PAGES = [str(p) for p in book.pages()]


@pytest.mark.parametrize('page', PAGES)
def test_every_page_is_executed_in_every_framework(page, tab):
    path = ROOT / book.Job(Path(page), tab).out
    # As written, not as nbformat would convert it on reading
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    cells = code_cells(nb)
    assert all(c.execution_count for c in cells), f'{path} has unrun cells'
    errors = [o for c in cells for o in c.outputs if o.output_type == 'error']
    assert errors == []


@pytest.mark.parametrize('page', PAGES)
def test_notebook_has_the_cells_of_its_framework_tab(page, tab):
    """Each framework got exactly the code cells its tab selects."""
    text = (ROOT / page).read_text()
    blocks, _ = markdown.parse(Path(page), text)
    expected = [b for b in blocks if isinstance(b, markdown.Cell)
                and ('all' in b.tabs or tab in b.tabs)]
    assert len(code_cells(load(page, tab))) == len(expected)


@pytest.mark.parametrize('page', PAGES)
def test_notebooks_carry_no_machine_paths_or_user_names(page, tab):
    text = (ROOT / book.Job(Path(page), tab).out).read_text()
    for secret in {str(ROOT), str(Path.home()), str(envs.cache_root())}:
        assert secret not in text
    user = os.environ.get('USER') or os.environ.get('LOGNAME')
    if user and len(user) > 3:
        assert not re.search(rf'\b{re.escape(user)}\b', text)
    # Kernel connection files and Jupyter servers carry secrets like these
    assert not re.search(r'(token|key|secret)["\']?\s*[=:]\s*["\']?'
                         r'[0-9a-f-]{32,}', text, re.I)


def test_outputs_hold_no_framework_log_chatter(tab):
    for page in PAGES:
        for cell in code_cells(load(page, tab)):
            for out in cell.outputs:
                text = out.get('text', '') + json.dumps(out.get('data', {}))
                assert not re.search(r'^[IWE]\d{4} |oneDNN|absl::|'
                                     r'WARNING: All log', text, re.M), \
                    f'{page} [{tab}]: {text[:200]}'


def test_outputs_show_no_memory_addresses(tab):
    """An address such as `at 0x7f3a...` changes with every build."""
    for page in PAGES:
        for cell in code_cells(load(page, tab)):
            for out in cell.outputs:
                text = out.get('text', '') + json.dumps(out.get('data', {}))
                assert not re.search(r'at 0x[0-9a-f]{6,}', text), \
                    f'{page} [{tab}]: {cell.source[:60]!r} shows {text[:120]}'

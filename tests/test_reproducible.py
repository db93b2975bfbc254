"""Two cold builds print the same numbers, in every framework."""
import json
import re
import subprocess
import sys

import pytest

from builder import pages
from conftest import ROOT, TABS, copy_book

pytestmark = pytest.mark.book
PAGE = 'chapter_builders-guide/parameters.md'


def content(path):
    """A notebook without what legitimately varies: cell ids."""
    nb = json.loads(path.read_text())
    for cell in nb['cells']:
        cell.pop('id', None)
    return nb


def test_a_second_cold_build_gives_identical_notebooks(tmp_path):
    copy_book(tmp_path)
    # Only Parameter Management, in English, to keep the build short
    config = tmp_path / 'config.ini'
    config.write_text(re.sub(r'(?m)^languages = .*$', 'languages =',
                             config.read_text()))
    index = tmp_path / 'chapter_builders-guide' / 'index.md'
    index.write_text(re.sub(r'```toc.*?```', '```toc\nparameters\n```',
                            index.read_text(), flags=re.S))
    index.write_text(re.sub(r':numref:`[^`]+`', 'a section',
                            index.read_text()))
    page = tmp_path / PAGE
    page.write_text(re.sub(r':numref:`sec_(?!parameters)[^`]+`',
                           'another section', page.read_text()))
    proc = subprocess.run([sys.executable, '-m', 'builder', 'eval'],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert proc.stdout.count(' executed ') == len(TABS)
    for tab in TABS:
        out = pages.Job(pages.Path(PAGE), tab).out
        first, second = content(ROOT / out), content(tmp_path / out)
        # The keys cover the Markdown and the d2l module, which differ in
        # this one-page copy; the outputs must not
        for nb in (first, second):
            nb['metadata'].pop('builders_guide')
        first_cells = [c for c in first['cells'] if c['cell_type'] == 'code']
        second_cells = [c for c in second['cells']
                        if c['cell_type'] == 'code']
        assert first_cells == second_cells, tab
        assert first['metadata'] == second['metadata'], tab

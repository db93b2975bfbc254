"""Two cold builds print the same numbers, in every framework."""
from pathlib import Path
import json
import re
import shutil
import subprocess
import sys

import pytest

from builder import book, downloads
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
        out = book.Job(Path(PAGE), tab).out
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


SMALL_PAGE = """\
# Page
:label:`sec_page`

```{.python .input}
%load_ext d2lbook.tab
tab.interact_select(['pytorch', 'jax'])
```

Some prose, then code in two frameworks.

```{.python .input}
%%tab pytorch
import torch
torch.manual_seed(0)
torch.rand(3)
```

```{.python .input}
%%tab jax
import jax
jax.random.uniform(jax.random.PRNGKey(0), (3,))
```

:begin_tab:`jax`
A note for JAX readers only.
:end_tab:
"""


def small_book(root):
    for name in ('builder', 'd2l', 'requirements', 'static'):
        shutil.copytree(ROOT / name, root / name)
    # The wheel of d2l is built too, and must come out the same
    shutil.copy2(ROOT / 'setup.py', root / 'setup.py')
    config = (ROOT / 'config.ini').read_text()
    config = re.sub(r'(?m)^tabs = .*$', 'tabs = pytorch, jax', config)
    config = re.sub(r'(?m)^languages = .*$', 'languages =', config)
    (root / 'config.ini').write_text(config)
    (root / 'index.md').write_text(
        '# Book\n\n```toc\n:numbered:\n\npage\n```\n')
    (root / 'page.md').write_text(SMALL_PAGE)
    return root


def written(root):
    """Every file the build wrote, but its logs (with the lock, which
    names the process holding it) and Sphinx's own cache (pickles holding
    the sources' times)."""
    build = root / '_build'
    return {str(p.relative_to(build)): p.read_bytes()
            for p in sorted(build.rglob('*')) if p.is_file()
            and p.relative_to(build).parts[0] not in ('logs', 'doctrees')}


def test_two_cold_builds_of_a_small_book_write_identical_bytes(tmp_path):
    books = [small_book(tmp_path / name) for name in ('one', 'two')]
    for root in books:
        root.mkdir(exist_ok=True)
        proc = subprocess.run([sys.executable, '-m', 'builder', 'html'],
                              cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    first, second = (written(root) for root in books)
    assert 'html/searchindex.js' in first
    assert 'html/notebooks/builders-guide-jax.zip' in first
    assert f'downloads/{downloads.wheel_name()}' in first
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert differ == []

"""Rebuilds execute exactly what changed: the cache is keyed by content."""
from pathlib import Path
import json
import re
import shutil
import subprocess
import sys

import pytest

from builder import book as the_book
from conftest import ROOT, TABS, copy_book

pytestmark = pytest.mark.book
PAGE = 'chapter_builders-guide/parameters.md'


@pytest.fixture
def book(tmp_path):
    """A copy of the book together with the outputs of the last build."""
    copy_book(tmp_path)
    for tab in TABS:
        shutil.copytree(the_book.eval_dir(tab), tmp_path / '_build' /
                        f'eval_{tab}')
    shutil.copy2(ROOT / '_build' / 'state.json', tmp_path / '_build')
    return tmp_path


def driver(root, *args):
    proc = subprocess.run([sys.executable, '-m', 'builder', *args],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def plan(root):
    return json.loads(driver(root, 'plan').strip().splitlines()[-1])


def edit(root, old, new, page=PAGE):
    path = root / page
    assert path.read_text().count(old) == 1
    path.write_text(path.read_text().replace(old, new))


def outputs(path):
    nb = json.loads(path.read_text())
    return [c['outputs'] for c in nb['cells'] if c['cell_type'] == 'code']


def test_an_unchanged_book_prepares_nothing(book):
    assert plan(book) == []


def test_prose_edit_refreshes_text_and_starts_no_kernel(book):
    notebooks = {tab: book / the_book.Job(Path(PAGE), tab).out
                 for tab in TABS}
    before = {tab: outputs(path) for tab, path in notebooks.items()}
    others = {p: p.stat().st_mtime_ns for p in
              (book / '_build').glob('eval_*/**/*.ipynb')
              if p.name != 'parameters.ipynb'}
    edit(book, 'Training a model is only part of working with it.',
         'Training a model is only one part of working with it.')
    log = driver(book, 'eval')
    assert ' notebooks: 0 executed, 4 with only their text refreshed, ' in log
    for tab, path in notebooks.items():
        assert 'only one part of working' in path.read_text()
        assert outputs(path) == before[tab]
    assert {p: p.stat().st_mtime_ns for p in others} == others


def test_code_edit_in_one_tab_reexecutes_only_that_notebook(book):
    edit(book, '# flatten_dict joins the keys on the way to each leaf',
         '# flatten_dict joins every key on the way to each leaf')
    steps = plan(book)
    assert [s[:2] for s in steps if s[2] == 'run'] == [[PAGE, 'jax']]
    # The other frameworks of the page only get their text refreshed
    assert sorted(s[1] for s in steps if s[2] == 'cached') == \
        sorted(t for t in TABS if t != 'jax')


def test_changing_a_pin_invalidates_only_that_frameworks_notebooks(book):
    requirements = book / 'requirements' / 'jax.txt'
    text = requirements.read_text()
    pinned = re.search(r'^optax==(\S+)$', text, re.M)
    requirements.write_text(text.replace(pinned.group(0), 'optax==0.0.1'))
    steps = plan(book)
    assert {s[1] for s in steps} == {'jax'}
    with_code = [p for p in the_book.pages()
                 if '%%tab' in (ROOT / p).read_text()]
    assert sorted(s[0] for s in steps if s[2] == 'run') == \
        sorted(str(p) for p in with_code)


def test_an_edit_of_the_page_script_alone_reaches_the_html(book):
    # Sphinx copies static files only while some page is out of date, so
    # this is the case where a stale script would be served
    driver(book, 'html', '--langs', 'none')
    script = book / 'static' / 'book.js'
    script.write_text(script.read_text() + '\n// edited by the test\n')
    log = driver(book, 'html', '--langs', 'none')
    assert '0 executed' in log
    served = book / '_build' / 'html' / '_static' / 'd2l.js'
    assert served.read_text().endswith('// edited by the test\n')


def translated_notebooks(root):
    return {p: p.stat().st_mtime_ns for lang in ('ko', 'ja', 'id')
            for p in (root / '_build').glob(f'eval_*/{lang}/**/*.ipynb')}


def test_english_prose_edit_leaves_every_translation_alone(book):
    driver(book, 'eval')
    before = translated_notebooks(book)
    assert len(before) == 3 * len(TABS) * len(the_book.pages())
    edit(book, 'Training a model is only part of working with it.',
         'Training a model is only one part of working with it.')
    log = driver(book, 'eval')
    # The translations hold their own prose and the English outputs,
    # neither of which the edit changed
    assert 'ko, ja, id: 0 notebooks took the English outputs' in log
    assert translated_notebooks(book) == before


def test_english_code_edit_relocalizes_that_page_and_framework(book):
    driver(book, 'eval')
    edit(book, '# flatten_dict joins the keys on the way to each leaf',
         '# flatten_dict joins every key on the way to each leaf')
    log = driver(book, 'eval')
    # One page, one framework, three languages
    assert 'ko, ja, id: 3 notebooks took the English outputs' in log

"""Keys and stamps: what makes a notebook current, and why it is not."""
import json
import shutil

import pytest

from builder import book, state
from builder.book import Job
from conftest import ROOT

PAGE = book.Path('chapter_builders-guide/parameters.md')


@pytest.fixture
def root(tmp_path):
    for name in ('d2l', 'requirements', 'chapter_builders-guide', 'ko'):
        shutil.copytree(ROOT / name, tmp_path / name)
    for name in ('config.ini', 'index.md'):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def record(root, job, source=None, code='c0'):
    """Write an executed notebook that records the current keys."""
    parts = state.source_parts(job, root)
    meta = state.metadata(source or state.key_of(parts), code,
                          {'source': parts})
    path = root / job.out
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({'cells': [], 'metadata': {state.META: meta},
                                'nbformat': 4, 'nbformat_minor': 5}))


def test_a_recorded_notebook_is_current_until_its_page_changes(root):
    job = Job(PAGE, 'jax')
    record(root, job)
    assert state.is_current(job, root)
    page = root / PAGE
    page.write_text(page.read_text() + '\nOne more sentence.\n')
    assert not state.is_current(job, root)
    assert state.why(job, root) == ['the page changed']


def test_each_part_of_the_source_key_is_named_when_it_changes(root):
    job = Job(PAGE, 'jax')
    record(root, job)
    (root / 'config.ini').write_text((root / 'config.ini').read_text()
                                     + '\n')
    lib = root / 'd2l' / 'jax.py'
    lib.write_text(lib.read_text() + '\n')
    assert state.why(job, root) == ['config.ini changed',
                                    'the d2l module changed (d2l/jax.py)']


def test_another_frameworks_module_changes_nothing(root):
    job = Job(PAGE, 'jax')
    record(root, job)
    lib = root / 'd2l' / 'torch.py'
    lib.write_text(lib.read_text() + '\n')
    assert state.is_current(job, root)


def test_a_translation_ignores_english_prose_but_not_english_code(root):
    english, korean = Job(PAGE, 'jax'), Job('ko' / PAGE, 'jax')
    record(root, english, code='c0')
    record(root, korean)
    page = root / PAGE
    page.write_text(page.read_text() + '\nOne more English sentence.\n')
    assert state.is_current(korean, root)
    record(root, english, code='c1')
    assert state.why(korean, root) == [
        'the English code or its outputs changed']


def test_a_truncated_notebook_counts_as_missing(root):
    job = Job(PAGE, 'jax')
    record(root, job)
    path = root / job.out
    path.write_text(path.read_text()[:40])
    assert state.recorded(job, root) is None
    assert not state.is_current(job, root)
    assert 'cannot be read' in state.why(job, root)[0]


def test_an_unreadable_or_older_state_file_is_empty(root):
    path = root / '_build' / 'state.json'
    path.parent.mkdir(parents=True)
    path.write_text('{"format": "')
    assert state.load(root) == {'format': state.FORMAT}
    path.write_text(json.dumps({'format': 'old', 'lib': 'x'}))
    assert state.load(root) == {'format': state.FORMAT}


def test_vouch_records_made_notebooks_and_forgets_failed_ones(root):
    ok, bad = Job(PAGE, 'jax'), Job(PAGE, 'pytorch')
    record(root, ok, code='c0')
    record(root, bad, code='c0')
    recorded = {}
    state.vouch(recorded, [ok, bad], failed={bad}, root=root)
    assert state.vouched(recorded, ok)['code'] == 'c0'
    assert state.vouched(recorded, bad) is None


def test_a_notebook_no_run_vouched_for_is_named(root):
    job = Job(PAGE, 'jax')
    record(root, job)
    assert state.why(job, root) == [
        'no run vouched for it (the last one failed or stopped)']


def test_has_cells_tells_an_empty_framework_apart():
    assert state.has_cells({'source': 's', 'code': 'c'})
    assert not state.has_cells({'source': 's', 'code': None})
    assert not state.has_cells(None)


def test_write_atomic_leaves_no_temporary_file(tmp_path):
    target = tmp_path / 'a' / 'file.json'
    state.write_atomic(target, '{}')
    state.write_atomic(target, b'[]')
    assert target.read_text() == '[]'
    assert [p.name for p in target.parent.iterdir()] == ['file.json']


def test_write_if_changed_keeps_the_time_of_an_unchanged_file(tmp_path):
    target = tmp_path / 'file.txt'
    assert state.write_if_changed(target, 'same')
    before = target.stat().st_mtime_ns
    assert not state.write_if_changed(target, 'same')
    assert target.stat().st_mtime_ns == before


def test_a_korean_prose_edit_changes_the_four_korean_pdf_keys_only(root):
    for name in ('builder', 'static'):
        shutil.copytree(ROOT / name, root / name)
    tabs, langs = book.tabs(root), [''] + book.languages(root)
    korean = [Job(book.translated('ko', PAGE), tab) for tab in tabs]

    def pdf_keys():
        for job in korean:
            record(root, job)
        recorded = {}
        state.vouch(recorded, korean, root=root)
        return {(tab, lang): state.pdf_key(recorded, tab, lang, root)
                for tab in tabs for lang in langs}
    before = pdf_keys()
    page = root / korean[0].page
    page.write_text(page.read_text() + '\n한 문장 더.\n')
    after = pdf_keys()
    changed = {pdf for pdf in before if before[pdf] != after[pdf]}
    assert changed == {(tab, 'ko') for tab in tabs}

"""Translations share the English code and outputs and never drift."""
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

from builder import book, translations
from conftest import ROOT, copy_book

LANGS = book.languages()
PAGES = [str(p) for p in book.pages()]


@pytest.mark.parametrize('lang', LANGS)
@pytest.mark.parametrize('page', PAGES)
def test_translated_code_is_the_english_code_token_for_token(lang, page):
    translated = Path(lang) / page
    assert (ROOT / translated).exists(), f'{translated} is missing'
    assert translations.check_code(translated) == []


def test_every_translation_translates_the_current_english_page():
    assert [str(s.page) for s in translations.stale_pages()] == []


def test_changed_code_in_a_translation_is_caught(tmp_path):
    root = tmp_path
    for name in ('config.ini', 'index.md'):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / 'chapter_builders-guide',
                    root / 'chapter_builders-guide')
    lang = LANGS[0]
    shutil.copytree(ROOT / lang, root / lang)
    page = root / lang / 'chapter_builders-guide' / 'parameters.md'
    text = page.read_text()
    # Translating a comment is fine; changing a number is not
    assert 'num_hiddens, num_outputs = 5, 16, 3' in text
    page.write_text(text.replace('num_hiddens, num_outputs = 5, 16, 3',
                                 'num_hiddens, num_outputs = 5, 32, 3', 1))
    problems = [str(p) for p in translations.check_code(
        Path(f'{lang}/chapter_builders-guide/parameters.md'), root)]
    assert len(problems) == 1
    assert 'code differs from chapter_builders-guide/parameters.md' in \
        problems[0]


def test_an_english_edit_makes_exactly_its_translations_stale(tmp_path):
    root = copy_book(tmp_path)
    git = ['git', '-c', 'user.name=t', '-c', 'user.email=t@t']
    subprocess.run(git + ['init', '-q'], cwd=root, check=True)
    subprocess.run(git + ['add', '-A'], cwd=root, check=True)
    subprocess.run(git + ['commit', '-qm', 'x'], cwd=root, check=True)
    page = root / 'chapter_builders-guide' / 'init-param.md'
    page.write_text(page.read_text().replace(
        'This section shows the defaults', 'Below we show the defaults', 1))

    def translations_cli(*args):
        return subprocess.run([sys.executable, '-m', 'builder',
                               'translations', *args], cwd=root,
                              capture_output=True, text=True)

    result = translations_cli()
    assert result.returncode == 1
    named = [line.split(':')[0] for line in result.stdout.splitlines()
             if line.endswith(': the English page changed')]
    assert named == [f'{lang}/chapter_builders-guide/init-param.md'
                     for lang in LANGS]
    added = [line for line in result.stdout.splitlines()
             if line.startswith('+') and 'Below we show the defaults' in line]
    assert len(added) == len(LANGS)  # the English diff, once per page
    # A reviewed change that needs no translation is marked explicitly
    accepted = translations_cli('--accept', named[0], '--reason',
                                'rewording, same meaning')
    assert accepted.returncode == 0
    assert '(rewording, same meaning)' in (root / named[0]).read_text()
    assert named[0] not in translations_cli().stdout

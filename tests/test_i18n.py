"""The translated sites: English outputs, their own language, one switch."""
import json
import re
from pathlib import Path

import pytest

from builder import book
from conftest import ROOT

pytestmark = pytest.mark.book
LANGS = book.languages()
PAGES = [str(p) for p in book.pages()]


def notebook(page, tab):
    path = ROOT / book.Job(Path(page), tab).out
    assert path.exists(), f'{path} was not built'
    nb = json.loads(path.read_text())
    # A page with no cell for a framework has no notebook to compare
    return nb if nb['metadata']['builders_guide']['code'] else None


def cells(nb, kind):
    return [c for c in nb['cells'] if c['cell_type'] == kind]


def text(cell):
    source = cell['source']
    return ''.join(source) if isinstance(source, list) else source


@pytest.mark.parametrize('lang', LANGS)
@pytest.mark.parametrize('page', PAGES)
def test_translated_notebooks_show_the_english_outputs(lang, page, tab):
    english, translated = notebook(page, tab), notebook(f'{lang}/{page}', tab)
    assert [c['outputs'] for c in cells(translated, 'code')] == \
        [c['outputs'] for c in cells(english, 'code')]
    # The same outputs under translated prose (the revision marker aside)
    prose = [re.sub(r'<!-- translates .*? -->\n?', '', text(c))
             for c in cells(translated, 'markdown')]
    assert prose != [text(c) for c in cells(english, 'markdown')]


@pytest.mark.parametrize('lang', [''] + LANGS)
def test_every_page_declares_its_language(lang):
    for path in PAGES:
        html = ROOT / '_build' / 'html' / lang / Path(path).with_suffix(
            '.html')
        head = html.read_text()[:400]
        assert re.search(rf'<html lang="{lang or "en"}"', head), html


@pytest.mark.parametrize('lang', LANGS)
def test_language_switch_keeps_the_section_and_the_framework(page, lang):
    page.open('chapter_builders-guide/parameters.html?tab=jax')
    page.locator(f'nav.bg-languages a[data-lang={lang}]').click()
    page.wait_for_load_state('load')
    assert page.url.split('?')[0].endswith(
        f'/{lang}/chapter_builders-guide/parameters.html')
    assert page.evaluate('document.documentElement.lang') == lang
    assert set(page.eval_on_selector_all(
        '.mdl-tabs:not([hidden]) [role=tab][aria-selected=true]',
        'tabs => tabs.map(t => t.dataset.framework)')) == {'jax'}
    # And back to English, on the same section
    page.locator('nav.bg-languages a[data-lang=en]').click()
    page.wait_for_load_state('load')
    assert page.url.split('?')[0].endswith(
        '/chapter_builders-guide/parameters.html')
    assert f'/{lang}/' not in page.url


# Characters that only the language's own script has; Indonesian is
# written in Latin letters, so for it the words need only differ from
# the English ones
SCRIPT = {'ko': r'[\uac00-\ud7a3]', 'ja': r'[\u3040-\u30ff\u4e00-\u9fff]',
          'id': r'[A-Za-z]'}
ENGLISH_CHROME = ['Copy', 'Run this page yourself:', 'Output',
                  'Table Of Contents', 'PyTorch notebook (.ipynb)']


def chrome(page):
    """What the script and the theme write around the chapter's text."""
    return [
        page.inner_text('button.bg-copy >> nth=0'),
        page.inner_text('p.bg-downloads span'),
        page.evaluate("getComputedStyle(document.querySelector("
                      "'div.output'), '::before').content").strip('"'),
        page.inner_text('.localtoc .caption-text'),
        page.inner_text('a.bg-notebook'),
    ]


def test_english_pages_keep_the_english_chrome(page):
    page.open('chapter_builders-guide/parameters.html')
    assert chrome(page) == ENGLISH_CHROME


@pytest.mark.parametrize('lang', LANGS)
def test_translated_pages_speak_their_language_around_the_text(page, lang):
    page.open(f'{lang}/chapter_builders-guide/parameters.html')
    words = chrome(page)
    for english, translated in zip(ENGLISH_CHROME, words):
        assert translated != english
        assert re.search(SCRIPT[lang], translated), translated
    # The framework's name is a name: it stays as it is
    assert 'PyTorch' in words[-1]

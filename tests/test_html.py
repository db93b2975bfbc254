"""The tabbed HTML: every code group offers every framework."""
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from builder import book, markdown
from conftest import ROOT, TABS, code_cells, load

pytestmark = pytest.mark.book
HTML = ROOT / '_build' / 'html'
PAGES = [str(p) for p in book.pages()]


def soup(page):
    path = HTML / Path(page).with_suffix('.html')
    assert path.exists(), f'{path} was not built'
    return BeautifulSoup(path.read_text(), 'html.parser')


def tab_bars(page, kind):
    return soup(page).select(f'div.mdl-tabs__tab-bar.{kind}')


@pytest.mark.parametrize('page', PAGES)
def test_every_code_group_offers_the_four_frameworks(page):
    for bar in tab_bars(page, 'code'):
        assert [a.get_text() for a in bar.find_all('a')] == TABS


def framework_text(html, tab):
    """What a reader who picked this framework sees: its panels and the
    parts of the page outside any panel."""
    panels = html.select('div.mdl-tabs__panel')
    mine = [p.get_text() for p in panels if p['id'].startswith(f'{tab}-')]
    for panel in panels:
        panel.extract()
    return '\n'.join(mine + [html.get_text()])


@pytest.mark.parametrize('page', PAGES)
def test_every_cell_of_a_framework_shows_in_its_tab(page, tab):
    seen = ' '.join(framework_text(soup(page), tab).split())
    for cell in code_cells(load(page, tab)):
        lines = [line for line in cell.source.splitlines()
                 if line.strip() and not line.lstrip().startswith('#')]
        first = ' '.join(lines[0].split())
        assert first in seen, f'{page} [{tab}]: {first!r} is not shown'


@pytest.mark.parametrize('page', PAGES)
def test_every_framework_panel_shows_its_code(page):
    html = soup(page)
    for bar in html.select('div.mdl-tabs__tab-bar.code'):
        for link in bar.find_all('a'):
            panel = html.find(id=link['href'][1:])
            assert panel is not None and panel.select('div.highlight'), \
                f'{page}: {link.get_text()} panel has no code'


@pytest.mark.parametrize('page', PAGES)
def test_cross_references_became_links(page):
    text = (ROOT / page).read_text()
    html = soup(page)
    assert ':numref:' not in html.get_text()
    # A :numref: becomes a link whose text is the section's number; the
    # sidebar's links carry no such span, so they cannot stand in for it
    numrefs = [name for kind, name in markdown.REF.findall(text)
               if kind == 'numref']
    links = [a for a in html.select('a.reference.internal')
             if a.select_one('span.std-numref')]
    # (a reference in a prose tab of several frameworks shows once each)
    assert len(links) >= len(numrefs)
    assert {a['href'].split('#')[-1] for a in links} == {
        name.replace('_', '-') for name in numrefs}
    assert all(re.fullmatch(r'Section \d+(\.\d+)*', a.get_text().strip())
               for a in links)


def test_site_fits_its_budget_without_the_downloads():
    files = [p for p in HTML.rglob('*') if p.is_file()
             and 'notebooks' not in p.relative_to(HTML).parts]
    assert sum(p.stat().st_size for p in files) <= 15_000_000


def test_translations_share_the_english_static_files():
    english = HTML / '_static'
    for lang in book.languages():
        for path in (HTML / lang / '_static').rglob('*'):
            twin = english / path.relative_to(HTML / lang / '_static')
            assert not (twin.is_file() and twin.read_bytes() ==
                        path.read_bytes()), f'{path} copies {twin}'


def test_static_files_are_only_what_pages_load_or_link():
    pages = '\n'.join(p.read_text() for p in HTML.rglob('*.html'))
    styles = '\n'.join(p.read_text() for p in HTML.rglob('*.css'))
    for path in HTML.rglob('_static/*'):
        assert f'_static/{path.name}"' in pages or path.name in styles, \
            f'{path} is loaded by no page'
    assert not list(HTML.rglob('mathjax')) and not list(HTML.rglob(
        '_sources'))


def test_numbered_equations_keep_their_numbers_and_references(tmp_path):
    """The MathML renderer on a one-page Sphinx project."""
    from sphinx.cmd.build import build_main
    (tmp_path / 'conf.py').write_text(
        "extensions = ['builder.tools.mathml']\n"
        "html_math_renderer = 'mathml'\nmath_numfig = True\n")
    (tmp_path / 'index.rst').write_text(
        'Page\n====\n\nInline :math:`\\sqrt{x}`.\n\n'
        '.. math:: y = \\mathbf{W} x + b\n   :label: eq_affine\n\n'
        'See :eq:`eq_affine`.\n')
    assert build_main(['-q', '-W', '-b', 'html', str(tmp_path),
                       str(tmp_path / 'out')]) == 0
    html = BeautifulSoup((tmp_path / 'out' / 'index.html').read_text(),
                         'html.parser')
    block = html.select_one('div.math')
    assert block.select_one('math[display=block]') is not None
    assert block.select_one('span.eqno').get_text().startswith('(1)')
    assert block.get('id') == 'equation-eq-affine'
    link = html.select_one('a.reference[href="#equation-eq-affine"]')
    assert link is not None and '1' in link.get_text()
    assert html.select_one('span.math > math') is not None

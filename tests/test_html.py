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

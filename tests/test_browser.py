"""The built pages in a real browser: Debian's Chromium, driven by Playwright.

Pages are served from _build/html on localhost; every request to any
other host is blocked and recorded, so the tests also prove that the
book works with no network at all.
"""
import pytest

from conftest import ROOT

pytestmark = pytest.mark.book

HTML = ROOT / '_build' / 'html'
ARTIFACTS = ROOT / '_build' / 'test-artifacts'
PAGE = 'chapter_builders-guide/parameters.html'
NEXT_PAGE = 'chapter_builders-guide/init-param.html'


def selected(page):
    """The framework selected in each visible tab bar, in page order."""
    return page.eval_on_selector_all(
        '.mdl-tabs:not([hidden]) [role=tab][aria-selected=true]',
        'tabs => tabs.map(t => t.dataset.framework)')


def visible_panels(page):
    return page.eval_on_selector_all(
        '.mdl-tabs__panel', 'ps => ps.filter(p => p.offsetParent !== null)'
        '.map(p => p.id.split("-")[0])')


def test_choosing_jax_switches_every_tab_on_the_page(page):
    page.open(PAGE)
    bars = len(selected(page))
    assert bars > 10 and set(selected(page)) == {'pytorch'}
    page.locator('[role=tab][data-framework=jax]').first.click()
    assert selected(page) == ['jax'] * len(selected(page))
    assert set(visible_panels(page)) == {'jax'}
    # Every tab set with a JAX tab shows it; prose written for other
    # frameworks only disappears altogether
    sets = page.eval_on_selector_all('.mdl-tabs', """sets => sets.map(s =>
        [!!s.querySelector(':scope > .mdl-tabs__tab-bar [data-framework=jax]'),
         s.hidden])""")
    assert len(selected(page)) == sum(has for has, _ in sets)
    assert [hidden for _, hidden in sets] == [not has for has, _ in sets]
    assert any(not has for has, _ in sets) and len(sets) == bars


def test_choice_follows_the_reader_to_the_next_page_and_a_reload(page):
    page.open(PAGE)
    page.locator('[role=tab][data-framework=jax]').first.click()
    page.open(NEXT_PAGE)
    assert set(selected(page)) == {'jax'}
    page.reload(wait_until='load')
    assert set(selected(page)) == {'jax'}


def test_a_link_with_tab_selects_that_framework(page):
    page.open(PAGE + '?tab=tensorflow')
    assert set(selected(page)) == {'tensorflow'}
    # The link's choice is remembered like a click
    page.open(NEXT_PAGE)
    assert set(selected(page)) == {'tensorflow'}


def test_arrow_keys_move_between_tabs(page):
    page.open(PAGE)
    first = page.locator('[role=tablist]').first
    first.locator('[role=tab]').first.focus()
    page.keyboard.press('ArrowRight')
    assert set(selected(page)) == {'mxnet'}
    assert page.evaluate('document.activeElement.dataset.framework') == \
        'mxnet'
    page.keyboard.press('ArrowLeft')
    page.keyboard.press('ArrowLeft')
    assert set(selected(page)) == {'tensorflow'}  # wraps around
    page.keyboard.press('Home')
    assert set(selected(page)) == {'pytorch'}


def test_tabs_follow_the_aria_tabs_pattern(page):
    page.open(PAGE)
    check = page.evaluate('''() => {
        const problems = [];
        for (const list of document.querySelectorAll('[role=tablist]')) {
            const tabs = list.querySelectorAll('[role=tab]');
            const focusable = [...tabs].filter(t => t.tabIndex === 0);
            if (focusable.length !== 1) problems.push('roving tabindex');
            for (const tab of tabs) {
                const panel = document.getElementById(
                    tab.getAttribute('aria-controls'));
                if (!panel || panel.getAttribute('role') !== 'tabpanel'
                    || panel.getAttribute('aria-labelledby') !== tab.id)
                    problems.push('panel of ' + tab.id);
            }
        }
        return problems;
    }''')
    assert check == []


def test_math_is_typeset_with_the_network_blocked(page):
    page.open('chapter_builders-guide/init-param.html')
    page.wait_for_function('window.MathJax && MathJax.startup '
                           '&& MathJax.startup.document')
    page.evaluate('MathJax.startup.promise')
    formulas = page.locator('.math').count()
    assert formulas > 10
    assert page.locator('.math mjx-container').count() == formulas


def test_each_page_offers_its_notebook_in_the_chosen_framework(page, server):
    page.open(PAGE + '?tab=jax')
    link = page.locator('a.bg-notebook')
    assert 'JAX' in link.inner_text()
    response = page.request.get(link.evaluate('a => a.href'))
    assert response.ok
    notebook = response.json()
    assert notebook['nbformat'] == 4
    assert notebook['metadata']['builders_guide']['tab'] == 'jax'
    archive = page.request.get(
        page.locator('a.bg-zip').evaluate('a => a.href'))
    assert archive.ok and archive.body()[:2] == b'PK'


def test_copy_button_copies_the_code(page, context):
    context.grant_permissions(['clipboard-read', 'clipboard-write'])
    page.open(PAGE)
    block = page.locator('.mdl-tabs__panel.is-active div.highlight').first
    block.locator('button.bg-copy').click()
    copied = page.evaluate('navigator.clipboard.readText()')
    assert copied.strip() == block.locator('pre').inner_text().strip()
    assert 'import torch' in copied


def test_outputs_look_different_from_code(page):
    page.open(PAGE)
    code = page.locator('div.highlight-python').first
    output = page.locator('div.output').first
    style = 'e => getComputedStyle(e).borderLeftWidth'
    assert code.evaluate(style) != output.evaluate(style)


def test_every_page_loads_with_no_request_leaving_the_server(page, outside):
    pages = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob(
        '*.html') if '_static' not in p.parts)
    for path in pages:
        page.open(path)
        page.wait_for_load_state('networkidle')
    assert outside == []


@pytest.mark.parametrize('lang, name, width', [
    ('', 'desktop', 1280), ('', 'phone', 390),
    ('ko/', 'phone', 390), ('ja/', 'desktop', 1280)])
def test_screenshots_at_desktop_and_phone_width(context, server, lang, name,
                                                width):
    page = context.new_page()
    page.set_viewport_size({'width': width, 'height': 900})
    page.goto(server + lang + PAGE, wait_until='networkidle')
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"parameters-{lang.strip('/') or 'en'}-{name}.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    # Nothing forces the reader to scroll sideways
    assert page.evaluate('document.documentElement.scrollWidth') <= width

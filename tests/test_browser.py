"""The built pages in a real browser: Debian's Chromium, driven by Playwright.

Pages are served from _build/html on localhost; every request to any
other host is blocked and recorded, so the tests also prove that the
book works with no network at all. Tests wait for the elements they
need, never for the network to go quiet, which on a busy machine may
take longer than any timeout.
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
    # init-param has prose for other frameworks only, the parameters page
    # no longer does
    page.open(NEXT_PAGE)
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
    assert any(not has for has, _ in sets)


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


def test_math_is_typeset_at_build_time_with_no_script(page):
    page.open('chapter_builders-guide/init-param.html')
    formulas = page.locator('.math').count()
    assert formulas > 10
    # Every formula is MathML that the browser draws itself
    assert page.locator('.math > math').count() == formulas
    heights = page.eval_on_selector_all(
        '.math > math', 'ms => ms.filter(m => m.parentElement.offsetParent)'
        '.map(m => m.getBoundingClientRect().height)')
    assert len(heights) > 10 and min(heights) > 5
    assert page.evaluate('typeof window.MathJax') == 'undefined'


def test_each_page_offers_its_notebook_in_the_chosen_framework(page, server):
    page.open(PAGE + '?tab=jax')
    link = page.locator('a.bg-notebook')
    assert 'JAX' in link.inner_text()
    response = page.request.get(link.evaluate('a => a.href'))
    assert response.ok
    notebook = response.json()
    assert notebook['nbformat'] == 4
    assert notebook['metadata']['builders_guide']['parts']['code']['tab'] \
        == 'jax'
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
        # The page script has run once it marks the chosen framework
        page.locator('html[data-framework]').wait_for(state='attached')
    assert outside == []


LANGS = ['', 'ko/', 'ja/', 'id/']
# The most a first visit of the parameters page may fetch, everything
# included (the budget; it weighed 3.05 MB with MathJax)
PAGE_BUDGET = 650_000


@pytest.mark.parametrize('lang', LANGS)
def test_first_load_fits_the_budget_and_stays_on_the_server(context, server,
                                                            outside, lang):
    page = context.new_page()
    responses = []
    page.on('response', lambda response: responses.append(response))
    page.goto(server + lang + PAGE, wait_until='load')
    page.locator('button.bg-copy').first.wait_for()
    weight = sum(len(r.body()) for r in responses if r.ok)
    names = sorted(r.url.split('/')[-1] for r in responses)
    assert weight <= PAGE_BUDGET, f'{lang}{PAGE}: {weight} bytes: {names}'
    assert all(r.ok for r in responses), names
    assert outside == []


def overlap(a, b):
    return not (a['x'] + a['width'] <= b['x'] or b['x'] + b['width'] <= a['x']
                or a['y'] + a['height'] <= b['y']
                or b['y'] + b['height'] <= a['y'])


@pytest.mark.parametrize('width', [1280, 390])
def test_copy_button_covers_no_code(page, width):
    page.set_viewport_size({'width': width, 'height': 900})
    page.open(PAGE)
    blocks = page.locator('.mdl-tabs__panel.is-active div.highlight-python '
                          '> div.highlight')
    assert blocks.count() > 5
    for i in range(blocks.count()):
        block = blocks.nth(i)
        button = block.locator('button.bg-copy').bounding_box()
        code = block.locator('pre').bounding_box()
        assert not overlap(button, code), f'block {i} at {width} px'


def luminance(css_color):
    """Relative brightness of an rgb()/rgba() colour, 0 (black) to 1."""
    r, g, b = [int(float(v)) / 255 for v in
               css_color[css_color.index('(') + 1:-1].split(',')[:3]]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_dark_preference_darkens_the_page_the_code_and_the_outputs(page):
    page.emulate_media(color_scheme='dark')
    page.open(PAGE)
    style = ('e => [getComputedStyle(e).backgroundColor, '
             'getComputedStyle(e).color]')
    for selector in ('body', '.mdl-tabs__panel.is-active div.highlight',
                     'div.output'):
        background, text = page.locator(selector).first.evaluate(style)
        if 'rgba(0, 0, 0, 0)' == background:  # transparent: the page shows
            background = page.locator('body').evaluate(style)[0]
        assert luminance(background) < 0.2, (selector, background)
        assert luminance(text) > 0.6, (selector, text)
    # The code's own colours come from the dark Pygments style
    keyword = page.locator('.mdl-tabs__panel.is-active .highlight .k').first
    assert luminance(keyword.evaluate('e => getComputedStyle(e).color')) > 0.3


# One word of each site's read-write page, in its own language
SEARCHES = {'': 'serialization', 'ko/': '바이너리', 'ja/': 'シリアライズ',
            'id/': 'biner'}


@pytest.mark.parametrize('lang', LANGS)
def test_search_finds_a_word_of_each_language_offline(page, outside, lang):
    page.open(f'{lang}search.html?q={SEARCHES[lang]}')
    found = page.locator('#search-results ul.search li a')
    found.first.wait_for()
    links = found.evaluate_all('as => as.map(a => a.getAttribute("href"))')
    assert any(link.split('?')[0].endswith(
        'chapter_builders-guide/read-write.html') for link in links), links
    assert outside == []


@pytest.mark.parametrize('lang', LANGS)
def test_axe_finds_no_serious_accessibility_problem(page, axe, lang):
    page.open(lang + PAGE)
    page.locator('button.bg-copy').first.wait_for()
    page.add_script_tag(content=axe)
    violations = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length]))")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{lang.strip('/') or 'en'}.txt").write_text(
        '\n'.join(f'{i} {impact} {n}' for i, impact, n in violations))
    serious = [v for v in violations if v[1] in ('serious', 'critical')]
    assert serious == [], f'{lang}{PAGE}: {serious}'


@pytest.mark.parametrize('lang, name, width', [
    ('', 'desktop', 1280), ('', 'phone', 390),
    ('ko/', 'phone', 390), ('ja/', 'desktop', 1280)])
def test_screenshots_at_desktop_and_phone_width(context, server, lang, name,
                                                width):
    page = context.new_page()
    page.set_viewport_size({'width': width, 'height': 900})
    page.goto(server + lang + PAGE, wait_until='load')
    page.locator('button.bg-copy').first.wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"parameters-{lang.strip('/') or 'en'}-{name}.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    # Nothing forces the reader to scroll sideways
    assert page.evaluate('document.documentElement.scrollWidth') <= width

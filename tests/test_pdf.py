"""The PDFs: one per framework and language, each a book of its own.

Read with poppler's pdftotext, pdffonts and pdftoppm (Debian's
poppler-utils, installed with TeX by the PDF stage) and from the LaTeX
logs in _build/logs/pdf/. The last test builds a one-page book whose
math LaTeX cannot typeset.
"""
import functools
import re
import subprocess

import pytest

from builder import book, state
from conftest import ROOT, TABS, code_cells, load, output_text
from test_failures import driver, make_book

pytestmark = pytest.mark.book
LANGS = [''] + book.languages()
PDFS = [(tab, lang) for lang in LANGS for tab in TABS]
IDS = [state.pdf_file(tab, lang).stem for tab, lang in PDFS]
LOGS = ROOT / '_build' / 'logs' / 'pdf'
ARTIFACTS = ROOT / '_build' / 'test-artifacts'
HEADING = re.compile(r'^#{1,4} (.+)$', re.MULTILINE)
FENCED = re.compile(r'^```.*?^```', re.MULTILINE | re.DOTALL)


def flat(text):
    """Text with its whitespace and quotes made comparable."""
    text = text.replace('\u2019', "'").replace('\u2018', "'")
    return ' '.join(text.replace('\u201c', '"').replace('\u201d', '"')
                    .split())


@functools.lru_cache(maxsize=None)
def pdf_text(tab, lang):
    path = state.pdf_file(tab, lang)
    assert path.exists(), f'{path} was not built'
    return flat(subprocess.run(['pdftotext', str(path), '-'], check=True,
                               capture_output=True, text=True).stdout)


def pages(lang):
    return [book.translated(lang, p) if lang else p for p in book.pages()]


def titles(lang):
    """Every heading of the language's pages, as the reader sees it."""
    found = []
    for page in pages(lang):
        text = FENCED.sub('', (ROOT / page).read_text(encoding='utf-8'))
        found += [flat(re.sub(r'[`*$]', '', t)) for t in HEADING.findall(text)]
    return found


def first_code_lines(tab, lang):
    """The first line of every code cell of a framework's notebooks."""
    lines = []
    for page in pages(lang):
        for cell in code_cells(load(page, tab)):
            code = [line for line in cell.source.splitlines()
                    if line.strip() and not line.lstrip().startswith('#')]
            # pdftotext lifts a trailing comment out of its line
            if code:
                lines.append((str(page),
                              flat(re.sub(r'\s+# .*$', '', code[0]))))
    return lines


def own_text(tab, lang):
    """Everything a framework's notebooks hold: prose, code, outputs."""
    parts = []
    for page in pages(lang):
        for cell in load(page, tab).cells:
            parts += [cell.source, output_text(cell) if
                      cell.cell_type == 'code' else '']
    return flat('\n'.join(parts))


@pytest.mark.parametrize('tab,lang', PDFS, ids=IDS)
def test_every_pdf_holds_every_section_title_of_its_language(tab, lang):
    # Without spaces: xeCJK sets Latin words apart from Japanese ones
    text = pdf_text(tab, lang).replace(' ', '')
    missing = [t for t in titles(lang) if t.replace(' ', '') not in text]
    assert not missing, f'{state.pdf_file(tab, lang).name} lacks {missing}'


@pytest.mark.parametrize('tab,lang', PDFS, ids=IDS)
def test_every_pdf_shows_the_code_of_its_framework(tab, lang):
    text = pdf_text(tab, lang)
    missing = [(page, line) for page, line in first_code_lines(tab, lang)
               if line not in text]
    assert not missing, f'{state.pdf_file(tab, lang).name} lacks {missing}'


@pytest.mark.parametrize('tab,lang', PDFS, ids=IDS)
def test_no_pdf_shows_the_code_of_another_framework(tab, lang):
    text, mine = pdf_text(tab, lang), own_text(tab, lang)
    # Lines of the other frameworks that this one never says
    foreign = {(other, line) for other in TABS if other != tab
               for _, line in first_code_lines(other, lang)
               if len(line) > 12 and line not in mine}
    assert len(foreign) > 10
    shown = sorted(f'{other}: {line}' for other, line in foreign
                   if line in text)
    assert not shown, f'{state.pdf_file(tab, lang).name} shows {shown}'


@pytest.mark.parametrize('tab,lang', PDFS, ids=IDS)
def test_no_cross_reference_is_left_unresolved(tab, lang):
    assert '??' not in pdf_text(tab, lang)
    log = (LOGS / f'{state.pdf_file(tab, lang).stem}.log').read_text(
        encoding='utf-8', errors='replace')
    assert not re.findall(r'.*[Rr]eference .* undefined.*', log)


def overfull_boxes(tab, lang):
    """The log's overfull lines that are not paragraphs of prose: code
    and outputs are typeset line by line, 'detected at line' N."""
    log = (LOGS / f'{state.pdf_file(tab, lang).stem}.log').read_text(
        encoding='utf-8', errors='replace')
    assert 'Output written on' in log
    return [line for line in log.splitlines()
            if line.startswith('Overfull \\hbox') and 'in paragraph' not in
            line]


@pytest.mark.parametrize('tab,lang', PDFS, ids=IDS)
def test_code_and_outputs_never_run_past_the_margin(tab, lang):
    assert overfull_boxes(tab, lang) == []


@pytest.mark.parametrize('tab,lang', [p for p in PDFS if p[1] in ('ko', 'ja')],
                         ids=[i for i in IDS if i[-3:] in ('-ko', '-ja')])
def test_korean_and_japanese_pdfs_embed_a_cjk_font(tab, lang):
    fonts = subprocess.run(['pdffonts', str(state.pdf_file(tab, lang))],
                           check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    # name, type..., then the columns emb sub uni object ID
    assert any('CJK' in row[0] and row[-5] == 'yes' for row in rows), fonts


@pytest.mark.parametrize('tab,lang', PDFS, ids=IDS)
def test_a_page_of_every_pdf_is_rendered_for_a_person_to_look_at(tab, lang):
    name = state.pdf_file(tab, lang).stem
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Page 4: the first section's code and outputs, under its prose
    subprocess.run(['pdftoppm', '-f', '4', '-l', '4', '-r', '80', '-png',
                    '-singlefile', str(state.pdf_file(tab, lang)),
                    str(ARTIFACTS / f'pdf-{name}-p4')], check=True)
    png = ARTIFACTS / f'pdf-{name}-p4.png'
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_the_site_links_every_pdf():
    for tab, lang in PDFS:
        pdf = state.pdf_file(tab, lang)
        linked = ROOT / '_build' / 'html' / 'pdf' / pdf.name
        assert linked.read_bytes() == pdf.read_bytes()


@pytest.mark.parametrize('lang', LANGS)
def test_the_pdf_link_follows_the_framework_choice(page, lang):
    site = f'{lang}/' if lang else ''
    page.open(f'{site}chapter_builders-guide/parameters.html')
    link = page.locator('a.bg-pdf')
    name = f'builders-guide-pytorch-{lang or "en"}.pdf'
    assert link.get_attribute('href').endswith('pdf/' + name)
    page.locator('[role=tab][data-framework=jax]').first.click()
    href = link.get_attribute('href')
    assert href.endswith(f'pdf/builders-guide-jax-{lang or "en"}.pdf')
    assert 'JAX' in link.inner_text()
    # The link reaches the file the PDF stage put there
    response = page.request.get(link.evaluate('a => a.href'))
    assert response.ok and response.body()[:5] == b'%PDF-'


BAD_MATH = """\
# Page
:label:`sec_page`

```{.python .input}
%load_ext d2lbook.tab
tab.interact_select(['jax'])
```

A formula that LaTeX cannot typeset: $\\notamacro x$.

```{.python .input}
%%tab jax
x = 1
```
"""


def test_failing_latex_names_the_pdf_and_the_error(tmp_path):
    root = make_book(tmp_path, BAD_MATH)
    config = (root / 'config.ini').read_text()
    (root / 'config.ini').write_text(re.sub(r'(?m)^tabs = .*$', 'tabs = jax',
                                            config))
    result = driver(root, 'pdf', '--tabs', 'jax', '--langs', 'none')
    assert result.returncode != 0
    assert ('FAILED _build/pdf/builders-guide-jax-en.pdf: ' in result.stdout)
    assert 'Undefined control sequence' in result.stdout
    assert not (root / '_build' / 'pdf' / 'builders-guide-jax-en.pdf'
                ).exists()

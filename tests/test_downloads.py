"""The downloads run on a reader's machine: each framework's zip alone.

For every framework, the built zip is unzipped into an empty folder, a
fresh environment is made from its requirements.txt alone (cached like
the build's, by the hash of that file and the wheel it names), and every
notebook runs in that environment's kernel with nothing of the
repository on its path; each must print what the build's notebook
printed. Nothing legitimately differs: the chapter prints no timings,
addresses or paths, and its random numbers are seeded. The kernel gets
the build's KERNEL_ENV (see tests/run_downloaded.py), so that warnings
the build silences do not count as differences.

The fast tests check the texts of the downloads against the glossaries.
"""
import json
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from string import Template

import pytest

from builder import book, downloads, envs, glossary
from conftest import ROOT, TABS, output_text

HTML = ROOT / '_build' / 'html'
TEXTS = ROOT / 'static' / 'downloads'
LANGS = book.languages()
# What the build needs and no notebook does
BUILD_ONLY = ('d2lbook', 'sphinx', 'pytest', 'pypandoc', 'playwright')
SAMPLE = {'label': 'JAX', 'zip': 'builders-guide-jax.zip',
          'wheel': 'd2l_builders_guide-0.1.0-py3-none-any.whl',
          'pin': 'jax==0.10.2', 'version': '0.10.2', 'python': '3.11'}


def words():
    return json.loads((TEXTS / 'words.json').read_text(encoding='utf-8'))


def filled(lang):
    """Every text of a language's downloads, its placeholders filled."""
    texts = {key: Template(text).substitute(SAMPLE)
             for key, text in words()[lang].items()}
    readme = (TEXTS / f'README.{lang}.md').read_text(encoding='utf-8')
    texts['README'] = Template(readme).substitute(
        SAMPLE, accelerator=texts['jax'])
    return texts


@pytest.mark.parametrize('lang', ['en'] + LANGS)
def test_every_language_says_how_to_install_every_framework(lang):
    assert set(words()[lang]) == {'notebook', *TABS}
    texts = filled(lang)
    assert 'pip install -r requirements.txt' in texts['README']
    assert 'jupyter lab' in texts['README']
    assert '--index-url https://download.pytorch.org/whl/cpu' in \
        Template(words()[lang]['pytorch']).substitute(SAMPLE)
    assert '\n' not in texts['notebook']


@pytest.mark.parametrize('lang', LANGS)
def test_the_downloads_texts_follow_the_glossary(lang):
    rules = glossary.rules(lang)
    problems = []
    for key, text in filled(lang).items():
        problems += glossary.check_text(
            f'static/downloads ({lang}, {key})', glossary.prose_lines(text),
            rules, lang)
    assert not problems, '\n'.join(map(str, problems))


def test_the_sites_release_is_the_wheels_version():
    # The page script names the wheel by the site's release
    assert book.setting('project', 'release', '') == downloads.version()


# What the build made

def zip_path(tab, lang=''):
    return HTML / lang / 'notebooks' / f'builders-guide-{tab}.zip'


def unzipped(tab, folder, lang=''):
    path = zip_path(tab, lang)
    assert path.exists(), f'{path} was not built'
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    (top,) = folder.iterdir()
    return top


def notebooks_in(top):
    return sorted(top.rglob('*.ipynb'))


@pytest.mark.book
@pytest.mark.parametrize('lang', [''] + LANGS)
def test_each_zip_holds_notebooks_wheel_requirements_and_readme(tab, lang,
                                                                tmp_path):
    top = unzipped(tab, tmp_path, lang)
    name = downloads.wheel_name()
    assert (top / name).read_bytes() == downloads.wheel_path().read_bytes()
    from builder.tools import publish
    assert (top / 'README.md').read_text(encoding='utf-8') == \
        publish.readme(tab, lang)
    reqs = (top / 'requirements.txt').read_text().splitlines()
    assert f'./{name}' in reqs
    names = [downloads.canonical(r.split('==')[0]) for r in reqs
             if '==' in r]
    assert 'notebook' in names and 'ipykernel' in names
    assert not set(names) & set(BUILD_ONLY), reqs
    note = publish.note(tab, lang)
    pages = notebooks_in(top)
    assert pages
    for path in pages:
        first = json.loads(path.read_text(encoding='utf-8'))['cells'][0]
        assert first['cell_type'] == 'markdown'
        assert ''.join(first['source']) == note, path


@pytest.mark.book
def test_the_site_offers_the_wheel_that_the_zips_carry():
    for lang in [''] + LANGS:
        site = HTML / lang / 'notebooks' / downloads.wheel_name()
        assert site.read_bytes() == downloads.wheel_path().read_bytes()


def reader_env(tab, top):
    """The environment a reader makes from the zip's requirements.txt."""
    return envs.ensure_from_file(f'reader-{tab}', top / 'requirements.txt')


def run_notebooks(tab, top):
    """Execute the zip's notebooks; (executed notebooks, what the kernel's
    d2l and path were)."""
    env = reader_env(tab, top)
    cache = env / 'executed'
    pages = notebooks_in(top)
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'tests' / 'run_downloaded.py'),
         str(env), f'reader-{tab}', str(cache), *map(str, pages)],
        cwd=ROOT, capture_output=True, text=True,
        env=envs.with_book_path())
    assert proc.returncode == 0, f'[{tab}] ' + proc.stderr[-3000:]
    d2l_file, path = json.loads(proc.stdout.strip().splitlines()[-1])
    import nbformat
    from run_downloaded import cached
    return ({p: nbformat.read(cached(cache, p), as_version=4)
             for p in pages}, d2l_file, path, env)


@pytest.fixture(scope='module')
def executed(request, tmp_path_factory):
    """The frameworks' zips that this session's tests ask for, unzipped,
    set up and executed; two at a time (pip and the kernels mostly wait
    or run one thread each)."""
    tabs = [t for t in TABS if any(
        item.module is request.module and 'executed' in item.fixturenames
        and getattr(item, 'callspec', None)
        and item.callspec.params.get('tab') == t
        for item in request.session.items)]
    tops = {tab: unzipped(tab, tmp_path_factory.mktemp(tab)) for tab in tabs}
    with ThreadPoolExecutor(2) as pool:
        runs = dict(zip(tabs, pool.map(run_notebooks, tabs,
                                       [tops[t] for t in tabs])))
    return tops, runs


def build_notebook(tab, top, path):
    import nbformat
    page = path.relative_to(top).with_suffix('.md')
    return nbformat.read(ROOT / book.Job(page, tab).out, as_version=4)


@pytest.mark.book
def test_every_notebook_of_every_zip_runs_in_a_fresh_environment(executed,
                                                                 tab):
    tops, runs = executed
    notebooks, d2l_file, path, env = runs[tab]
    # The kernel's d2l is the wheel's, installed in the reader's env
    assert Path(d2l_file).is_relative_to(env), d2l_file
    assert not [p for p in path if p and Path(p).resolve()
                .is_relative_to(ROOT)], path
    for nb_path, nb in notebooks.items():
        errors = [o for c in nb.cells for o in c.get('outputs', [])
                  if o.output_type == 'error']
        assert not errors, f'{nb_path.name} [{tab}]: {errors[0]}'


@pytest.mark.book
def test_downloaded_notebooks_print_what_the_build_printed(executed, tab):
    tops, runs = executed
    notebooks = runs[tab][0]
    for nb_path, nb in notebooks.items():
        mine = [c for c in nb.cells if c.cell_type == 'code']
        theirs = [c for c in build_notebook(tab, tops[tab], nb_path).cells
                  if c.cell_type == 'code']
        assert [c.source for c in mine] == [c.source for c in theirs]
        for index, (a, b) in enumerate(zip(mine, theirs), 1):
            assert output_text(a) == output_text(b), (
                f'{nb_path.relative_to(tops[tab])} [{tab}] cell {index}')


@pytest.mark.book
@pytest.mark.parametrize('lang', [''] + LANGS)
def test_every_page_links_the_wheel_of_its_site(page, lang):
    page.open(f'{lang}/chapter_builders-guide/parameters.html'.lstrip('/'))
    link = page.locator('a.bg-wheel')
    assert 'd2l' in link.inner_text()
    response = page.request.get(link.evaluate('a => a.href'))
    assert response.ok
    assert response.body() == downloads.wheel_path().read_bytes()

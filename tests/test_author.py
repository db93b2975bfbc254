"""Author mode: the pages open as notebooks, save as the same Markdown, and
run in each framework's kernel as the build runs them."""
import json
import multiprocessing
import os
import secrets
import socket
import subprocess
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from builder import book, envs
from builder.markdown import cells, is_selection
from conftest import ROOT, TABS, load

ENGLISH = book.pages()
EVERY_PAGE = ENGLISH + [book.translated(lang, p) for lang in book.languages()
                        for p in ENGLISH]
WITH_CODE = [p for p in ENGLISH if any(
    not is_selection(c) for c in cells(p, (ROOT / p).read_text('utf-8')))]
SKIPPED = 'Ignored to run as it is not marked as a "{}" cell.'
ARTIFACTS = ROOT / '_build' / 'test-artifacts'


def manager(root, tab=None):
    """The contents manager the editor runs, on a folder."""
    from builder.tools.author import MarkdownContentsManager
    return MarkdownContentsManager(root_dir=str(root), framework=tab or '')


def opened(page, tmp_path, tab=None):
    """A copy of a page under tmp_path, its manager and its notebook model
    as JupyterLab receives it (JSON)."""
    copy = tmp_path / page
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes((ROOT / page).read_bytes())
    cm = manager(tmp_path, tab)
    model = cm.get(str(page), content=True, type='notebook')
    return copy, cm, json.loads(json.dumps(model['content']))


def saved(cm, page, content):
    cm.save({'type': 'notebook', 'format': 'json', 'content': content},
            str(page))
    return (Path(cm.root_dir) / page).read_bytes()


@pytest.mark.parametrize('page', EVERY_PAGE, ids=str)
def test_opening_and_saving_a_page_gives_back_its_bytes(page, tmp_path):
    _, cm, content = opened(page, tmp_path)
    assert saved(cm, page, content) == (ROOT / page).read_bytes()


def test_an_edited_cell_changes_only_its_own_lines(tmp_path):
    page = Path('chapter_builders-guide/parameters.md')
    _, cm, content = opened(page, tmp_path)
    code = [c for c in content['cells'] if c['cell_type'] == 'code'][3]
    prose = [c for c in content['cells'] if c['cell_type'] == 'markdown'][2]
    text = (ROOT / page).read_text('utf-8')
    assert text.count(code['source']) == text.count(prose['source']) == 1
    expected = text.replace(code['source'], code['source'] + '\nnet') \
        .replace(prose['source'], prose['source'].replace('. ', '.\n', 1))
    code['source'] += '\nnet'
    prose['source'] = prose['source'].replace('. ', '.\n', 1)
    assert saved(cm, page, content).decode() == expected
    # Jupyter's checkpoint of the page is kept out of the sources
    assert not (tmp_path / page.parent / '.ipynb_checkpoints').exists()


def test_outputs_are_never_written_into_the_markdown(tmp_path):
    page = Path('chapter_builders-guide/parameters.md')
    _, cm, content = opened(page, tmp_path)
    for cell in content['cells']:
        if cell['cell_type'] == 'code':
            cell['outputs'] = [{'output_type': 'stream', 'name': 'stdout',
                                'text': 'SHOWN\n'}]
            cell['execution_count'] = 7
    assert saved(cm, page, content) == (ROOT / page).read_bytes()


def test_a_page_opens_with_its_framework_kernel_and_selection_first(
        tmp_path):
    _, _, content = opened(Path('chapter_builders-guide/parameters.md'),
                           tmp_path, tab='jax')
    assert content['metadata']['kernelspec']['name'] == \
        'builders-guide-jax-author'
    first = next(c for c in content['cells'] if c['cell_type'] == 'code')
    assert first['source'] == (
        "%load_ext d2lbook.tab\n"
        f"tab.interact_select({TABS!r})")


# Running the pages headless, as an author runs them in the editor

def cell_tabs(source):
    first = source.split('\n', 1)[0]
    if not first.startswith('%%tab'):
        return []
    return [t.strip() for t in first[len('%%tab'):].split(',')]


def shown(outputs):
    """What a cell showed, as the build keeps it: stderr as stdout, no
    widgets, adjacent streams joined, no execution counts."""
    kept = []
    for out in outputs:
        if out.get('output_type') == 'stream':
            if kept and kept[-1][0] == 'stream':
                kept[-1] = ('stream', kept[-1][1] + out['text'])
            else:
                kept.append(('stream', out['text']))
        elif 'data' in out:
            text = out['data'].get('text/plain', '')
            if not text.startswith(('HBox', 'VBox')):
                kept.append((out['output_type'], json.dumps(
                    out['data'], sort_keys=True)))
        else:
            kept.append((out['output_type'], out.get('ename'),
                         out.get('evalue')))
    return kept


@pytest.fixture(scope='module')
def authored():
    """Every page with code run in each framework's author-mode kernel, a
    fresh kernel per page as in the build, one page per process at a time
    and as many processes as the build's workers."""
    from builder.tools.author import run_page
    jobs = [(page, tab) for tab in TABS for page in WITH_CODE]
    spawn = multiprocessing.get_context('spawn')
    with ProcessPoolExecutor(os.cpu_count() or 2, mp_context=spawn) as pool:
        done = pool.map(run_page, *zip(*[(page, tab, envs.python(tab))
                                         for page, tab in jobs]))
        return dict(zip(jobs, done))


@pytest.mark.book
@pytest.mark.parametrize('tab', TABS)
@pytest.mark.parametrize('page', WITH_CODE, ids=str)
def test_a_page_runs_only_its_frameworks_cells_and_shows_what_the_build_shows(
        authored, page, tab):
    nb = authored[(page, tab)]
    code = [c for c in nb.cells if c.cell_type == 'code']
    assert 'interact_select' in code[0].source
    ran = [c for c in code[1:]
           if tab in cell_tabs(c.source) or 'all' in cell_tabs(c.source)]
    for cell in code[1:]:
        if cell not in ran:
            assert shown(cell.outputs) == [('stream', SKIPPED.format(tab))], \
                f'{page} [{tab}]: a cell of another framework ran:\n' \
                f'{cell.source[:200]}'
    built = [c for c in load(page, tab).cells if c.cell_type == 'code']
    assert len(ran) == len(built), f'{page} [{tab}]'
    for mine, theirs in zip(ran, built):
        assert shown(mine.outputs) == shown(theirs.outputs), \
            f'{page} [{tab}]: the cell shows other outputs than the ' \
            f'build\'s:\n{mine.source[:200]}'


# The editor in a browser

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def editor(tmp_path_factory):
    """`make edit`'s JupyterLab, on a free port, with a token of ours."""
    tab, port, token = TABS[0], free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp('jupyter')
    env = envs.with_book_path(dict(
        os.environ, JUPYTER_TOKEN=token, JUPYTER_CONFIG_DIR=str(home),
        JUPYTER_RUNTIME_DIR=str(home / 'runtime'),
        JUPYTERLAB_SETTINGS_DIR=str(home / 'settings')))
    log = open(home / 'lab.log', 'w')
    proc = subprocess.Popen(
        [str(envs.python(tab)), '-m', 'builder.tools.author', '--tab', tab,
         '--port', str(port), '--ServerApp.open_browser=False'],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    while proc.poll() is None:
        try:
            urllib.request.urlopen(f'{url}/api/status?token={token}')
            break
        except OSError:
            try:
                proc.wait(0.2)
            except subprocess.TimeoutExpired:
                pass
    assert proc.poll() is None, (home / 'lab.log').read_text()[-3000:]
    yield url, token
    proc.terminate()
    proc.wait()
    log.close()


@pytest.mark.book
def test_editor_refuses_requests_without_its_token(editor):
    url, _ = editor
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f'{url}/api/contents/index.md')
    assert refused.value.code == 403


@pytest.mark.book
def test_editor_opens_a_page_as_a_notebook_whose_first_code_cell_selects(
        editor, browser):
    url, token = editor
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    context.route('**/*', lambda route: route.continue_()
                  if route.request.url.startswith(url) else route.abort())
    listing = context.new_page()
    listing.goto(f'{url}/tree/chapter_builders-guide?token={token}')
    item = listing.locator('.jp-DirListing-item', has_text='parameters.md')
    item.wait_for(timeout=120_000)
    with context.expect_page(timeout=120_000) as opened_page:
        item.dblclick()
    page = opened_page.value
    notebook = page.locator('.jp-NotebookPanel .jp-Notebook')
    first = notebook.locator('.jp-CodeCell').first
    first.get_by_text('interact_select').wait_for(timeout=120_000)
    assert 'load_ext d2lbook.tab' in first.inner_text()
    # The title's cell, then the selection
    assert 'jp-CodeCell' in notebook.locator('.jp-Cell').nth(1) \
        .get_attribute('class')
    # The kernel's name shows once its session has started
    page.get_by_text(f"Builders' Guide ({TABS[0]}, author mode)").first \
        .wait_for(timeout=120_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / 'author-parameters.png'))
    context.close()


# The build never shows the selection

def test_a_page_whose_only_code_is_the_selection_is_text_in_every_tab(
        tmp_path):
    from d2lbook.config import Config
    from builder.tools import notebooks
    page = tmp_path / 'page.md'
    page.write_text('# Page\n:label:`sec_page`\n\n```{.python .input}\n'
                    f'%load_ext d2lbook.tab\ntab.interact_select({TABS!r})'
                    '\n```\n\nOnly prose.\n')
    config = Config(config_fname=str(ROOT / 'config.ini'))
    for tab in TABS:
        nb = notebooks.tab_notebook(page, tab, config)
        assert [c.source.strip() for c in nb.cells] == [
            '# Page\n:label:`sec_page`\n\nOnly prose.'], tab

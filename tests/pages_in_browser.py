"""Fixtures for tests that open the built pages in Debian's Chromium."""
import functools
import http.server
import os
import shutil
import subprocess
import threading
from urllib.parse import urlsplit

import pytest

from builder import envs
from conftest import ROOT

HTML = ROOT / '_build' / 'html'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic',
                 '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def server():
    handler = functools.partial(QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    httpd.shutdown()


# axe-core, the accessibility checker, from the npm registry
AXE = 'axe-core@4.14.1'


def ensure_axe():
    """axe-core's script, installed by npm when missing into a folder
    beside the environments (outside the clone and _build), once per
    version; Debian's npm is installed first if the machine has none."""
    folder = envs.cache_root().parent / 'npm' / AXE.replace('@', '-')
    script = folder / 'node_modules' / 'axe-core' / 'axe.min.js'
    if script.exists():
        return script
    if not shutil.which('npm'):
        sudo = [] if os.geteuid() == 0 else ['sudo']
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        for cmd in (['apt-get', 'update', '-qq'],
                    ['apt-get', 'install', '-y', '-qq', 'npm']):
            subprocess.run(sudo + cmd, check=True, capture_output=True,
                           env=env)
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ['npm', 'install', '--prefix', str(folder), '--no-audit',
         '--no-fund', '--no-save', '--loglevel=error', AXE],
        capture_output=True, text=True)
    assert proc.returncode == 0 and script.exists(), \
        f'npm install {AXE} failed: {proc.stderr[-1500:]}'
    return script


@pytest.fixture(scope='session')
def axe():
    return ensure_axe().read_text(encoding='utf-8')


@pytest.fixture(scope='module')
def browser():
    from playwright import sync_api as playwright
    executable = shutil.which('chromium') or '/usr/bin/chromium'
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable,
                                    args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope='module')
def outside():
    """Every request that tried to leave the local server, in any test."""
    return []


@pytest.fixture
def context(browser, server, outside):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    local = urlsplit(server).netloc

    def route(route):
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route('**/*', route)
    yield context
    context.close()


@pytest.fixture
def page(context, server):
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    page.open = lambda path: page.goto(server + path, wait_until='load')
    yield page
    assert errors == [], f'script errors: {errors}'

"""Small books in a temporary folder, for tests that build for real."""
import os
import re
import shutil
import subprocess
import sys

from conftest import ROOT


def make_book(root, pages, tabs='pytorch', settings=''):
    """A book of the given pages ({name: Markdown}) in some frameworks,
    with no translations; settings are appended to config.ini."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ('builder', 'd2l', 'requirements', 'static'):
        shutil.copytree(ROOT / name, root / name)
    # The d2l wheel that the downloads offer is built from it
    shutil.copy2(ROOT / 'setup.py', root / 'setup.py')
    config = (ROOT / 'config.ini').read_text()
    config = re.sub(r'(?m)^tabs = .*$', f'tabs = {tabs}', config)
    config = re.sub(r'(?m)^languages = .*$', 'languages =', config)
    (root / 'config.ini').write_text(config + '\n' + settings)
    toc = '\n'.join(pages)
    (root / 'index.md').write_text(
        f'# Book\n\n```toc\n:numbered:\n\n{toc}\n```\n')
    for name, text in pages.items():
        (root / f'{name}.md').write_text(text)
    return root


def page(*cells, tab='pytorch'):
    """A page of a book in one framework: the framework selection, then
    code cells that run in it. The first code cell's fence is on line 10,
    and each next one five lines further."""
    selection = ('```{.python .input}\n%load_ext d2lbook.tab\n'
                 f"tab.interact_select(['{tab}'])\n```\n")
    body = '\n'.join(f'```{{.python .input}}\n%%tab {tab}\n{code}\n```\n'
                     for code in cells)
    return f'# A Page\n\n{selection}\nSome prose.\n\n{body}'


def driver(root, *args, env=None, **options):
    """Run the build to its end."""
    return subprocess.run([sys.executable, '-m', 'builder', *args], cwd=root,
                          capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), **options)


def start(root, *args, env=None):
    """Start the build in a session of its own, as a terminal would."""
    return subprocess.Popen([sys.executable, '-m', 'builder', *args],
                            cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(env or {})),
                            start_new_session=True)

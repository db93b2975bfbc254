"""What a reader downloads besides the notebooks: the d2l wheel and each
framework's runtime requirements.

Both go to _build/downloads/ before the HTML, which puts them on every
site and in every framework's zip (builder.tools.publish):

- ``d2l_builders_guide-<version>-py3-none-any.whl``, built by pip from
  setup.py and d2l/ in the tools environment. Its files are copied to a
  temporary folder first (so the clone gets no build/ or egg-info) with
  fixed modes, and SOURCE_DATE_EPOCH fixes its dates: two clones of the
  same commit build the same bytes.
- ``requirements-<framework>.txt``: what that framework's notebooks need
  in Jupyter, by a rule rather than a hand list: the modules that the
  executed notebooks and the d2l module import, plus ``notebook`` and
  ``ipykernel``; the distributions that provide them and everything those
  require (builder.tools.runtime reads the framework environment's own
  metadata), each pinned as requirements/<framework>.txt pins it (or, if
  it pins none, at the version installed from it), and the wheel. d2lbook, Sphinx and pytest are in the environment but no
  notebook needs them, so they stay out.

Each is rebuilt only when its key in _build/state.json changed
(builder.state.wheel_key, builder.state.requirements_key). Standard
library only.
"""
import ast
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from builder import book, envs, state

FOLDER = book.BUILD / 'downloads'
# What every framework's notebooks need to run in Jupyter
JUPYTER = ('notebook', 'ipykernel')
# 2026-01-01, the date the zips' entries carry too
EPOCH = '1767225600'


class DownloadError(RuntimeError):
    """The wheel or a requirements list could not be made."""


def version(root=book.ROOT):
    text = (root / 'd2l' / '__init__.py').read_text(encoding='utf-8')
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def wheel_name(root=book.ROOT):
    return f'd2l_builders_guide-{version(root)}-py3-none-any.whl'


def wheel_path(root=book.ROOT):
    return root / FOLDER.relative_to(book.ROOT) / wheel_name(root)


def requirements_path(tab, root=book.ROOT):
    return root / FOLDER.relative_to(book.ROOT) / f'requirements-{tab}.txt'


def build_wheel(root=book.ROOT):
    """Build the wheel into _build/downloads; return its path."""
    target = wheel_path(root)
    with tempfile.TemporaryDirectory(prefix='builders-guide-wheel-') as tmp:
        src = Path(tmp) / 'src'
        for rel in state.wheel_sources(root):
            dst = src / rel.relative_to(root)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(rel, dst)
            dst.chmod(0o644)
        out = Path(tmp) / 'out'
        proc = subprocess.run(
            [str(envs.python(envs.TOOLS)), '-m', 'pip', 'wheel', '--quiet',
             '--no-deps', '--no-build-isolation', '--no-index',
             '--wheel-dir', str(out), str(src)],
            capture_output=True, text=True,
            env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH))
        built = out / wheel_name(root)
        if proc.returncode != 0 or not built.exists():
            raise DownloadError(
                'building the d2l wheel from setup.py and d2l/ failed:\n'
                + envs._pip_cause(proc.stdout + proc.stderr))
        state.write_if_changed(target, built.read_bytes())
    return target


def imported_modules(tab, root=book.ROOT):
    """The top-level modules that a framework's executed notebooks and
    its d2l module import (absolute imports only)."""
    sources = [book.lib_file(tab, root).read_text(encoding='utf-8')]
    for page in book.pages(root):
        path = root / book.Job(page, tab).out
        if path.exists():
            nb = json.loads(path.read_text(encoding='utf-8'))
            sources += [''.join(c['source']) for c in nb['cells']
                        if c['cell_type'] == 'code']
    modules = set()
    for source in sources:
        # IPython's magics and shell lines are no Python
        code = '\n'.join(line for line in source.splitlines()
                         if not line.lstrip().startswith(('%', '!')))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                modules.update(a.name.split('.')[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split('.')[0])
    return sorted(modules - {'d2l'})


def canonical(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def pins(tab, root=book.ROOT):
    """requirements/<tab>.txt as {canonical name: its pinned line}."""
    found = {}
    text = (root / 'requirements' / f'{tab}.txt').read_text(encoding='utf-8')
    for line in text.splitlines():
        line = line.split('#')[0].strip()
        if '==' in line:
            found[canonical(line.split('==')[0])] = line
    return found


def runtime_lines(tab, root=book.ROOT):
    """The pinned lines of what the framework's notebooks need."""
    modules = imported_modules(tab, root) + list(JUPYTER)
    proc = subprocess.run(
        [str(envs.python(tab)), '-m', 'builder.tools.runtime', *modules],
        capture_output=True, text=True, cwd=root,
        env=envs.with_book_path())
    if proc.returncode != 0:
        raise DownloadError(f'[{tab}] reading the environment\'s metadata '
                            'failed: ' + envs._pip_cause(proc.stderr))
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    if answer['unknown']:
        raise DownloadError(
            f'[{tab}] the notebooks import {", ".join(answer["unknown"])}, '
            f'which no package of requirements/{tab}.txt provides')
    pinned = pins(tab, root)
    # An environment made before d2l left them knows it as installed
    dists = answer['dists']
    dists.pop('d2l-builders-guide', None)
    # A dependency the file leaves unpinned (tensorflow's wheel, which
    # astunparse requires) is pinned as the environment installed it
    return [pinned.get(name, f'{name}=={version}')
            for name, version in sorted(dists.items())]


def write_requirements(tab, root=book.ROOT):
    lines = [f"# What the {tab} notebooks of the Builders' Guide need in "
             'Jupyter, pinned as',
             f'# the book was built (requirements/{tab}.txt), and the '
             "book's own d2l package.",
             '# Install from the folder this file is in: pip install -r '
             'requirements.txt',
             *runtime_lines(tab, root), f'./{wheel_name(root)}']
    path = requirements_path(tab, root)
    state.write_if_changed(path, '\n'.join(lines) + '\n')
    return path


def ensure(tabs, root=book.ROOT):
    """Make what is out of date; return the names of what was made."""
    recorded = state.load(root)
    done = recorded.setdefault('downloads', {})
    made = []
    key = state.wheel_key(root)
    if done.get('wheel') != key or not wheel_path(root).exists():
        build_wheel(root)
        done['wheel'] = key
        made.append(wheel_name(root))
    for tab in tabs:
        key = state.requirements_key(recorded, tab, root)
        if done.get(tab) != key or not requirements_path(tab, root).exists():
            write_requirements(tab, root)
            done[tab] = key
            made.append(requirements_path(tab, root).name)
    state.save(recorded, root)
    return made

"""Clones that share the environment cache never see each other's d2l.

Two copies of the book use the same cached environments, as two clones
on one machine do. Each must import its own d2l in every framework's
environment, as the build's kernels and tools get it
(builder.envs.with_book_path), and deleting one must leave the other,
and the environments, working. The environments need to exist (make
test creates them before the fast tests).
"""
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, TABS

PROBE = 'import d2l; print(d2l.__file__, d2l.CLONE)'


def clone(folder, mark):
    """A copy of what the driver needs, whose d2l says which copy it is."""
    for name in ('builder', 'd2l', 'requirements'):
        shutil.copytree(ROOT / name, folder / name,
                        ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copy2(ROOT / 'config.ini', folder / 'config.ini')
    init = folder / 'd2l' / '__init__.py'
    init.write_text(init.read_text() + f'CLONE = {mark!r}\n')
    return folder


def driver(root, *args):
    proc = subprocess.run([sys.executable, '-m', 'builder', *args],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-1000:] + proc.stderr[-1000:]
    return proc.stdout


def seen_from(root, tab):
    """Which d2l a framework's environment imports, run as the build
    runs it from this clone (in a folder outside it)."""
    code = ('import subprocess, sys\n'
            'from builder import envs\n'
            f'out = subprocess.run([str(envs.python({tab!r})), "-c", '
            f'{PROBE!r}], env=envs.with_book_path(), cwd="/", '
            'capture_output=True, text=True)\n'
            'print(out.stdout.strip() or out.stderr.strip().splitlines()[-1])')
    proc = subprocess.run([sys.executable, '-c', code], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-1000:]
    return proc.stdout.strip()


def own_import(tab, root):
    """What the environment imports with nothing of any clone on its
    path: it must hold no d2l of its own."""
    python = driver(root, 'python', tab).strip()
    proc = subprocess.run([python, '-c', 'import d2l'], cwd='/',
                          capture_output=True, text=True,
                          env={'PATH': '/usr/bin:/bin'})
    return proc.returncode, proc.stderr.strip().splitlines()[-1:]


@pytest.mark.parametrize('tab', TABS)
def test_two_clones_sharing_the_environments_keep_their_own_d2l(tab,
                                                               tmp_path):
    one, two = (clone(tmp_path / n, n) for n in ('one', 'two'))
    for root in (one, two):
        # Each clone makes sure of the environments, as every build does
        driver(root, 'envs', '--tabs', tab)
    for root in (one, two, one):
        assert seen_from(root, tab) == \
            f'{root / "d2l" / "__init__.py"} {root.name}'
    code, error = own_import(tab, two)
    assert code != 0 and 'No module named' in error[0], error
    shutil.rmtree(one)
    driver(two, 'envs', '--tabs', tab)
    assert seen_from(two, tab) == f'{two / "d2l" / "__init__.py"} two'

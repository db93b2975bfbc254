"""A broken environment stops the build and names the framework and package."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

BOGUS = 'not-a-real-package-for-builders-guide==1.0'


@pytest.fixture
def book(tmp_path):
    root = tmp_path / 'book'
    for name in ('builder', 'd2l', 'requirements', 'chapter_builders-guide'):
        shutil.copytree(ROOT / name, root / name)
    for name in ('config.ini', 'index.md', 'setup.py'):
        shutil.copy(ROOT / name, root / name)
    # The tools environment fails at once too, so nothing slow is installed
    (root / 'requirements' / 'tools.txt').write_text(BOGUS + '\n')
    return root


def envs_of(root, tmp_path):
    env = dict(os.environ, BUILDERS_GUIDE_ENV_CACHE=str(tmp_path / 'envs'))
    return subprocess.run([sys.executable, '-m', 'builder', 'envs', '--tabs',
                           'jax'], cwd=root, env=env, capture_output=True,
                          text=True)


def test_a_package_pip_cannot_find_is_named_with_its_framework(book,
                                                                tmp_path):
    requirements = book / 'requirements' / 'jax.txt'
    requirements.write_text(BOGUS + '\n' + requirements.read_text())
    result = envs_of(book, tmp_path)
    assert result.returncode != 0
    assert ("[env] environment 'jax': pip install -r requirements/jax.txt "
            "failed") in result.stdout
    assert 'not-a-real-package-for-builders-guide' in result.stdout
    assert 'nothing was built' in result.stderr


def test_a_framework_that_does_not_import_is_named(book, tmp_path):
    # An environment that installs fine but lacks Flax
    setuptools = next(line for line in (ROOT / 'requirements' / 'jax.txt')
                      .read_text().splitlines()
                      if line.startswith('setuptools=='))
    (book / 'requirements' / 'jax.txt').write_text(setuptools + '\n')
    result = envs_of(book, tmp_path)
    assert result.returncode != 0
    assert ("[env] environment 'jax' is broken: `import d2l.jax` failed: "
            "ModuleNotFoundError: No module named 'flax'") in result.stdout

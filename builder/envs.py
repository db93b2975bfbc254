"""One virtual environment per framework, plus one for the build's tools.

Environments live outside the clone, in a cache folder named by the hash
of their pinned requirements, so a fresh clone on the same machine reuses
them and a change of pins makes a new one. No environment holds the d2l
package: whatever runs in one (a kernel, a tool, a test) gets the clone
being built first on its PYTHONPATH, so clones that share the cache never
see each other's d2l. Standard library only.
"""
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from builder.book import ROOT, lib_module, tabs

CACHE_VAR = 'BUILDERS_GUIDE_ENV_CACHE'
# d2lbook, nbclient, Sphinx and pytest: every step but the kernels
TOOLS = 'tools'
# The tools plus Ray, made only for builds on a cluster (--executor ray)
RAY = 'ray'
# Environments pinned by several files, installed in this order
LAYERS = {RAY: [TOOLS, RAY]}
# A framework's GPU build: requirements/<framework>-gpu.txt, where the
# framework publishes one
GPU_SUFFIX = '-gpu'


class EnvError(RuntimeError):
    """An environment could not be created or does not work."""


def cache_root():
    default = Path.home() / '.cache' / 'builders-guide' / 'envs'
    return Path(os.environ.get(CACHE_VAR, default)).expanduser()


def requirements(name):
    return ROOT / 'requirements' / f'{name}.txt'


def requirement_files(name):
    return [requirements(layer) for layer in LAYERS.get(name, [name])]


def framework(name):
    """The framework an environment is for ('pytorch-gpu' -> 'pytorch'),
    or None for the tools' environments."""
    base = name.removesuffix(GPU_SUFFIX)
    return base if base in tabs() else None


def for_device(tab, device):
    """The environment a framework's notebooks run in on a device: its
    GPU build on a GPU, where it has one, else its CPU build."""
    gpu = tab + GPU_SUFFIX
    return gpu if device == 'gpu' and requirements(gpu).exists() else tab


def env_key(name):
    """Hash of the pinned requirements and the Python that runs them."""
    h = hashlib.sha256()
    for path in requirement_files(name):
        h.update(path.read_bytes())
    h.update(f'{sys.version_info.major}.{sys.version_info.minor}'.encode())
    return h.hexdigest()[:12]


def env_dir(name):
    return cache_root() / f'{name}-{env_key(name)}'


def python(name):
    return env_dir(name) / 'bin' / 'python'


def kernel_name(tab):
    """The Jupyter kernel a framework's environment registers."""
    return f'builders-guide-{tab}'


def kernels_dir(name):
    """Where an environment keeps its kernel (ipykernel install
    --sys-prefix); name is a framework or its GPU build."""
    return env_dir(name) / 'share' / 'jupyter' / 'kernels'


def _run(cmd, name, what):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise EnvError(f'environment {name!r}: {what} failed\n'
                       + _pip_cause(proc.stdout + proc.stderr))
    return proc.stdout


def _pip_cause(log):
    """The lines of pip's or Python's output that say what went wrong."""
    keep = [line for line in log.splitlines()
            if re.search(r'ERROR|Error|No matching distribution|'
                         r'Could not find a version', line)
            and 'is ignored' not in line]
    return '\n'.join(keep[-8:] or log.splitlines()[-8:])


def _create(name, path):
    print(f'[env] creating {name} environment in {path}', file=sys.stderr,
          flush=True)
    shutil.rmtree(path, ignore_errors=True)
    _run([sys.executable, '-m', 'venv', str(path)], name, 'python -m venv')
    py = str(path / 'bin' / 'python')
    files = requirement_files(name)
    _run([py, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
          *[arg for f in files for arg in ('-r', str(f))]], name,
         'pip install ' + ' '.join(f'-r requirements/{f.name}' for f in files))
    _check(name)
    tab = framework(name)
    if tab:
        _run([py, '-m', 'ipykernel', 'install', '--sys-prefix',
              '--name', kernel_name(tab),
              '--display-name', f"Builders' Guide ({name})"],
             name, 'registering the Jupyter kernel')


def _check(name):
    """Import what the environment is for, so a broken one stops here."""
    py = str(python(name))
    if framework(name):
        # The d2l module imports its framework: an ImportError names it
        code = f'import {lib_module(framework(name))}'
    else:
        code = 'import d2lbook, nbclient, sphinx, pypandoc, pytest' + (
            ', ray' if name == RAY else '')
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS='ignore',
               TF_CPP_MIN_LOG_LEVEL='3')
    proc = subprocess.run([py, '-c', code], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    if proc.returncode != 0:
        cause = proc.stderr.strip().splitlines()[-1:] or ['(no message)']
        raise EnvError(f'environment {name!r} is broken: `{code}` failed: '
                       f'{cause[0]}')


def ensure(name):
    """Create the environment if needed; return its Python."""
    path = env_dir(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = path / '.complete'
    with open(path.parent / f'.{path.name}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _create(name, path)
            done.write_text(''.join(f.read_text()
                                    for f in requirement_files(name)))
    return python(name)


def with_book_path(env=None):
    """Environment variables that put this clone's d2l first."""
    env = dict(os.environ if env is None else env)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(ROOT)] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep)
                       if p])
    env.setdefault('PYTHONWARNINGS', 'ignore')
    # Ray, where a build uses it, reports nothing home
    env['RAY_USAGE_STATS_ENABLED'] = '0'
    return env


def names(selected_tabs=None):
    return list(selected_tabs or tabs()) + [TOOLS]


def pandoc_dir(tools_python):
    """The folder holding the pandoc binary that pypandoc-binary ships."""
    out = subprocess.run(
        [str(tools_python), '-c',
         'import pypandoc; print(pypandoc.get_pandoc_path())'],
        capture_output=True, text=True, check=True).stdout.strip()
    return str(Path(out).parent)


def ensure_chromium():
    """Debian's Chromium for the browser tests, installed when missing.

    Playwright's own browser download needs a host this machine cannot
    reach, so the tests drive the distribution's build instead. The Noto
    CJK fonts come with it: without them the Korean and Japanese pages,
    and the language switch on every page, show empty boxes in the
    screenshots the tests save.
    """
    missing = [] if shutil.which('chromium') else ['chromium']
    # A removed package can still be known to dpkg; ask for its state
    fonts = subprocess.run(['dpkg-query', '-W', '-f=${Status}',
                            'fonts-noto-cjk'], capture_output=True, text=True)
    if fonts.stdout.strip() != 'install ok installed':
        missing.append('fonts-noto-cjk')
    if not missing:
        return shutil.which('chromium')
    print(f"[env] installing Debian's {' and '.join(missing)} for the "
          'browser tests', file=sys.stderr, flush=True)
    sudo = [] if os.geteuid() == 0 else ['sudo']
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    for cmd in (['apt-get', 'update', '-qq'],
                ['apt-get', 'install', '-y', '-qq', *missing]):
        proc = subprocess.run(sudo + cmd, capture_output=True, text=True,
                              env=env)
        if proc.returncode != 0:
            raise EnvError(f"installing {' and '.join(missing)} failed: "
                           + _pip_cause(proc.stdout + proc.stderr))
    return shutil.which('chromium')

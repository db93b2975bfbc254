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


def _run(cmd, name, what, cwd=None, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd,
                          env=env)
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


def _venv(name, path, files, what, *pip_options):
    """A fresh venv at path with requirements files installed; pip runs
    in the first file's folder, so the relative paths it names resolve."""
    print(f'[env] creating {name} environment in {path}', file=sys.stderr,
          flush=True)
    shutil.rmtree(path, ignore_errors=True)
    # pip must see only the new environment: with a clone on PYTHONPATH
    # it would take an egg-info there for an installed d2l
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    _run([sys.executable, '-m', 'venv', str(path)], name, 'python -m venv',
         env=env)
    _run([str(path / 'bin' / 'python'), '-m', 'pip', 'install', '--quiet',
          '--disable-pip-version-check', *pip_options,
          *[arg for f in files for arg in ('-r', str(f))]],
         name, what, cwd=files[0].parent, env=env)


def _register_kernel(name, path, kernel, display):
    _run([str(path / 'bin' / 'python'), '-m', 'ipykernel', 'install',
          '--sys-prefix', '--name', kernel, '--display-name', display],
         name, 'registering the Jupyter kernel')


def _create(name, path):
    files = requirement_files(name)
    _venv(name, path, files, 'pip install ' + ' '.join(
        f'-r requirements/{f.name}' for f in files))
    _check(name)
    tab = framework(name)
    if tab:
        _register_kernel(name, path, kernel_name(tab),
                         f"Builders' Guide ({name})")


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


def _cached(path, create, record):
    """Run create() unless the environment at path is complete; one
    process at a time creates it, the others wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    done = path / '.complete'
    with open(path.parent / f'.{path.name}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            create()
            done.write_text(record)


def ensure(name):
    """Create the environment if needed; return its Python."""
    path = env_dir(name)
    _cached(path, lambda: _create(name, path), ''.join(
        f.read_text() for f in requirement_files(name)))
    _drop_installed_d2l(name, path)
    return python(name)


def _drop_installed_d2l(name, path):
    """Uninstall a d2l that the environment holds itself.

    Environments that the build made before it stopped installing d2l
    hold an editable install of whichever clone made them: a kernel
    without the build's PYTHONPATH would import that clone's d2l, and
    fail once that clone is deleted. This finds one by its files, so it
    costs a pip run only once per such environment.
    """
    if not list(path.glob('lib/python*/site-packages/'
                          'd2l_builders_guide-*.dist-info')):
        return
    print(f'[env] {name}: removing the d2l that an older build installed '
          'in it', file=sys.stderr, flush=True)
    _run([str(path / 'bin' / 'python'), '-m', 'pip', 'uninstall', '--yes',
          '--quiet', 'd2l-builders-guide'], name, 'pip uninstall d2l')


def file_key(reqs):
    """Hash of a requirements file, the local files it names (a wheel
    next to it) and the Python that runs them."""
    h = hashlib.sha256(reqs.read_bytes())
    for line in reqs.read_text().splitlines():
        local = reqs.parent / line.strip()
        if line.startswith('./') and local.is_file():
            h.update(local.read_bytes())
    h.update(f'{sys.version_info.major}.{sys.version_info.minor}'.encode())
    return h.hexdigest()[:12]


def ensure_from_file(name, reqs):
    """An environment made from one requirements file alone, such as a
    downloaded zip's, cached like the build's by file_key; it registers
    a kernel called name. Returns its folder.

    pip compiles no bytecode here: of the some 15,000 modules that
    TensorFlow and PyTorch bring, a notebook imports a few hundred, and
    Python compiles those as it first imports them.
    """
    path = cache_root() / f'{name}-{file_key(reqs)}'
    _cached(path, lambda: (_venv(name, path, [reqs],
                                 f'pip install -r {reqs}', '--no-compile'),
                           _register_kernel(name, path, name, name)),
            reqs.read_text())
    return path


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


# TeX for the PDFs: XeLaTeX with Sphinx's LaTeX packages (texlive-xetex
# pulls in latex-extra), xeCJK (texlive-lang-cjk; it loads ctexhook.sty,
# which Debian ships in texlive-lang-chinese) and the Noto CJK fonts for
# Korean and Japanese, DejaVu Sans Mono for the box drawing in
# outputs, the standard PostScript fonts (hyperref's links need Zapf
# Dingbats), latexmk to run XeLaTeX until references settle, and
# poppler's pdftotext, pdffonts and pdftoppm for the tests
TEX_PACKAGES = ['texlive-xetex', 'texlive-lang-cjk',
                'texlive-lang-chinese', 'texlive-fonts-recommended',
                'latexmk', 'fonts-noto-cjk', 'fonts-dejavu-core',
                'poppler-utils']


def ensure_debian(packages, purpose):
    """Install the Debian packages that are missing, without the ones
    they only recommend (TeX's recommendations triple the download)."""
    proc = subprocess.run(['dpkg-query', '-W', '-f=${Package} ${Status}\n',
                           *packages], capture_output=True, text=True)
    installed = {line.split()[0] for line in proc.stdout.splitlines()
                 if line.endswith('install ok installed')}
    missing = [p for p in packages if p not in installed]
    if not missing:
        return
    print(f"[env] installing Debian's {', '.join(missing)} for {purpose}",
          file=sys.stderr, flush=True)
    sudo = [] if os.geteuid() == 0 else ['sudo']
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    # Another apt-get (a second build on the machine) holds the lock a while
    wait = ['-o', 'DPkg::Lock::Timeout=600']
    for cmd in (['apt-get', *wait, 'update', '-qq'],
                ['apt-get', *wait, 'install', '-y', '-qq',
                 '--no-install-recommends', *missing]):
        proc = subprocess.run(sudo + cmd, capture_output=True, text=True,
                              env=env)
        if proc.returncode != 0:
            raise EnvError(f"installing {', '.join(missing)} for {purpose} "
                           'failed: ' + _pip_cause(proc.stdout + proc.stderr))


def ensure_tex():
    """XeLaTeX, latexmk, the fonts and poppler, installed when missing."""
    ensure_debian(TEX_PACKAGES, 'the PDFs')

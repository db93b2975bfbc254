"""Execute a downloaded zip's notebooks in a reader's environment.

``<tools python> tests/run_downloaded.py ENV KERNEL CACHE NOTEBOOK...``,
started by test_downloads (one process per framework, so that two run at
once). Each notebook runs with nbclient in a fresh kernel of ENV (the
kernel it registered as KERNEL), in the notebook's own folder, with no
PYTHONPATH: nothing of the repository is on the kernel's path. The
kernel gets the build's KERNEL_ENV (quiet frameworks, a fixed hash seed,
one thread), so that its outputs can be compared with the build's.

The executed notebook goes to CACHE/<hash of the notebook>.ipynb, and a
notebook already there is not run again: CACHE lies inside ENV, whose
name hashes the requirements and the wheel, so the same notebook in the
same environment is only ever executed once. A last line of JSON names
the d2l module and the path the kernel saw.
"""
import hashlib
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from builder import book
from builder.tools.kernels import Kernels, clean_outputs

PROBE = 'import d2l, json, sys; print(json.dumps([d2l.__file__, sys.path]))'


def cached(cache, path):
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return cache / f'{digest}.ipynb'


def execute(kernels, path, out):
    nb = nbformat.read(path, as_version=4)
    km = kernels.take('reader', path.parent)
    NotebookClient(nb, km=km, timeout=20 * 60, record_timing=False,
                   shutdown_kernel='immediate',
                   resources={'metadata': {'path': str(path.parent)}}
                   ).execute()
    clean_outputs(nb)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out))


def main():
    env, kernel, cache, *paths = sys.argv[1:]
    env, cache = Path(env), Path(cache)
    os.environ.pop('PYTHONPATH', None)
    os.environ.update(book.KERNEL_ENV)
    kernels = Kernels(spec=lambda tab: (env / 'share' / 'jupyter' /
                                        'kernels', kernel))
    try:
        for path in map(Path, paths):
            out = cached(cache, path)
            if not out.exists():
                print(f'[downloads] executing {path.name}', flush=True)
                execute(kernels, path, out)
        probe = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(PROBE)])
        folder = Path(paths[0]).parent
        NotebookClient(probe, km=kernels.take('reader', folder),
                       timeout=120, shutdown_kernel='immediate',
                       resources={'metadata': {'path': str(folder)}}
                       ).execute()
        print(probe.cells[0].outputs[0]['text'].strip(), flush=True)
    finally:
        kernels.discard()


if __name__ == '__main__':
    main()

"""How fast the book builds, against the fastest it could possibly be.

Run by hand, from the repository root, once the environments exist
(`make envs`):

    python3 benchmarks/build.py

It copies the book into a scratch folder (the repository's own _build is
left alone) and measures, on this machine:

- a cold build of all four frameworks (environments ready, no outputs):
  its execution alone, then with the translations' notebooks (which
  take the English outputs) and with the HTML of every language;
- a rebuild with nothing changed;
- a rebuild after a prose-only edit;
- a rebuild after editing one code cell of one framework;
- the lower bound: the same notebooks' code run as plain Python scripts,
  one process per notebook and framework, on as many workers as the
  build uses;
- the peak memory of all kernels during the cold execution, and during
  that of the chapter copied three times: it stays flat as the book
  grows, since each kernel ends with its notebook.

Each figure is printed with its ratio to the lower bound, and with the
number of notebooks that were executed (each one starts a kernel).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGE = 'chapter_builders-guide/parameters.md'
PROSE = ('Training a model is only part of working with it.',
         'Training a model is only one part of working with it.')
JAX_CELL = ("# flatten_dict joins the keys on the way to each leaf",
            "# flatten_dict joins every key on the way to each leaf")


def copy_book(dst):
    files = subprocess.run(['git', 'ls-files'], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in files:
        (dst / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dst / name)


def build(root, command='html', *options):
    """Run the build; return seconds and how many notebooks executed."""
    tik = time.time()
    proc = subprocess.run([sys.executable, '-m', 'builder', command,
                           *options],
                          cwd=root, capture_output=True, text=True)
    seconds = time.time() - tik
    if proc.returncode:
        sys.exit(proc.stdout[-3000:] + proc.stderr[-3000:])
    ran = re.findall(r'^\[eval +\d+\] (\S+) +(\S+) +executed',
                     proc.stdout, re.M)
    return seconds, ran


def edit(root, page, old, new):
    path = root / page
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


class KernelMemory:
    """The peak memory of all kernels of one book while a build runs:
    every 0.2 s it adds up the resident memory of the processes that run
    ipykernel inside the book's folder (read from /proc)."""

    def __init__(self, root):
        self.root, self.peak_mb, self.peak_count = str(root), 0.0, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()

    def sample(self):
        while not self.done.wait(0.2):
            total, count = 0, 0
            for pid in filter(str.isdigit, os.listdir('/proc')):
                try:
                    cmd = Path(f'/proc/{pid}/cmdline').read_bytes()
                    if b'ipykernel' not in cmd or not os.readlink(
                            f'/proc/{pid}/cwd').startswith(self.root):
                        continue
                    status = Path(f'/proc/{pid}/status').read_text()
                    total += int(re.search(r'VmRSS:\s+(\d+)', status)
                                 .group(1))
                    count += 1
                except (OSError, AttributeError):
                    pass
            self.peak_mb = max(self.peak_mb, total / 1024)
            self.peak_count = max(self.peak_count, count)


def tripled(root):
    """The chapter three times over: two copies with their labels renamed,
    so that lint accepts them, listed in the book's toc."""
    chapter = root / 'chapter_builders-guide'
    for n in (2, 3):
        copy = root / f'chapter_builders-guide-{n}'
        shutil.copytree(chapter, copy)
        for page in copy.glob('*.md'):
            page.write_text(re.sub(r'(:(?:label|numref|eqlabel|eqref):`)'
                                   r'([^`]+)`', rf'\1\2_{n}`',
                                   page.read_text()))
    index = root / 'index.md'
    index.write_text(index.read_text().replace(
        'chapter_builders-guide/index', 'chapter_builders-guide/index\n'
        'chapter_builders-guide-2/index\nchapter_builders-guide-3/index'))


def lower_bound(root, workers):
    """The executed code as plain scripts, one process each."""
    sys.path.insert(0, str(root))
    from builder import envs
    from builder.book import KERNEL_ENV
    scripts = []
    scratch = root / '_build' / 'plain'
    for selected in sorted((root / '_build' / 'select').rglob('*.ipynb')):
        tab = selected.relative_to(root / '_build' / 'select').parts[0]
        cells = json.loads(selected.read_text())['cells']
        code = '\n\n'.join(''.join(c['source']) for c in cells
                           if c['cell_type'] == 'code')
        folder = scratch / tab / selected.stem
        folder.mkdir(parents=True, exist_ok=True)
        (folder / 'run.py').write_text(code)
        scripts.append((str(envs.python(tab)), folder))
    env = dict(os.environ, **KERNEL_ENV, PYTHONPATH=str(root))

    def run(item):
        python, folder = item
        subprocess.run([python, 'run.py'], cwd=folder, env=env, check=True,
                       capture_output=True)

    tik = time.time()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, scripts))
    return time.time() - tik, len(scripts)


def main():
    workers = os.cpu_count() or 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        copy_book(root)
        # The four frameworks' execution is the English build; the
        # translations then take its outputs, and the HTML comes last
        with KernelMemory(root) as memory:
            cold_eval, cold_ran = build(root, 'eval', '--langs', 'none')
        cold_i18n, _ = build(root, 'eval')
        cold_html, _ = build(root, 'html')
        noop, noop_ran = build(root)
        edit(root, PAGE, *PROSE)
        prose, prose_ran = build(root)
        edit(root, PAGE, *JAX_CELL)
        code, code_ran = build(root)
        bound, scripts = lower_bound(root, workers)
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp)
        copy_book(big)
        tripled(big)
        with KernelMemory(big) as big_memory:
            big_eval, big_ran = build(big, 'eval', '--langs', 'none')
    print(f'{workers} workers, {scripts} notebooks with code')
    print(f'{"":<32}{"seconds":>9}{"x bound":>9}  executed')
    rows = [('lower bound (plain scripts)', bound, [None] * scripts),
            ('cold build: execution', cold_eval, cold_ran),
            ('  + translations (ko, ja, id)', cold_eval + cold_i18n,
             cold_ran),
            ('  + HTML, all four languages', cold_eval + cold_i18n +
             cold_html, cold_ran),
            ('no-op rebuild', noop, noop_ran),
            ('prose-only edit', prose, prose_ran),
            ('one code cell, one framework', code, code_ran)]
    for name, seconds, ran in rows:
        print(f'{name:<32}{seconds:>9.1f}{seconds / bound:>9.2f}  {len(ran)}')
    print(f'the code edit executed: {code_ran}')
    print('peak memory of all kernels during a cold execution:')
    for name, seconds, ran, kept in (
            ('the chapter', cold_eval, cold_ran, memory),
            ('the chapter three times', big_eval, big_ran, big_memory)):
        print(f'  {name:<26} {kept.peak_mb:>7.0f} MB in at most '
              f'{kept.peak_count} kernels ({len(ran)} notebooks, '
              f'{seconds:.0f} s)')


if __name__ == '__main__':
    main()

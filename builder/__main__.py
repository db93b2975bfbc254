"""The build driver: ``python3 -m builder COMMAND [--tabs pytorch,jax]``.

Commands
  lint    check the Markdown (no environment needed)
  envs    create the environments that are missing
  lib     regenerate the generated part of d2l/<framework>.py
  plan    prepare the notebooks and list those that would execute
  eval    lint, envs, lib, then execute what changed, in every framework
  html    eval, translations' notebooks (English outputs, no kernel),
          then tabbed HTML: _build/html, _build/html/<lang>
  test    fast tests, the whole build, then the tests of its outputs
  translations
          list stale translations with the English diff to translate;
          --accept PAGE [--reason WHY] marks a reviewed page current
  python  print the Python of an environment (a framework or 'html')

Standard library only: it runs on the system Python and starts each
stage in the environment that stage needs. Work is skipped by content:
see builder/keys.py for what decides that a notebook is current.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from builder import envs, keys, lint, pages, translations

MANIFEST = pages.BUILD / 'eval_manifest.json'
# The slowest frameworks to import go first, so both workers stay busy
START_ORDER = ['tensorflow', 'jax', 'pytorch', 'mxnet']


def say(message):
    print(message, flush=True)


def stage_lint(args):
    if lint.main() != 0:
        sys.exit(1)


def stage_envs(names):
    tik = time.time()
    # pip mostly waits on downloads and disk, so create several at once
    with ThreadPoolExecutor(3) as pool:
        futures = {name: pool.submit(envs.ensure, name) for name in names}
    errors = [f.exception() for f in futures.values() if f.exception()]
    for error in errors:
        say(f'[env] {error}')
    if errors:
        sys.exit(f'[env] {len(errors)} environment(s) failed; nothing was '
                 'built')
    say(f'[env] {len(names)} environments ready ({time.time() - tik:.0f} s):'
        f' {", ".join(names)}')


def tools_env():
    """Environment variables for stages that run d2lbook's tools."""
    env = dict(os.environ, PYTHONPATH=str(pages.ROOT),
               PYTHONWARNINGS='ignore')
    pandoc = envs.pandoc_dir(envs.python(envs.TOOLS))
    env['PATH'] = os.pathsep.join([pandoc, str(envs.python(envs.TOOLS)
                                               .parent), env['PATH']])
    return env


def jobs_of(tabs):
    return [pages.Job(page, tab) for page in pages.pages() for tab in tabs]


def needs_prepare(tabs):
    """Whether the d2l modules or any notebook of these frameworks is out
    of date. When none is, callers skip prepared() and the build starts
    no process at all."""
    return not keys.lib_is_current() or not all(
        keys.is_current(job) for job in jobs_of(tabs))


def prepared(args):
    """Regenerate d2l and select cells where sources changed.

    Yields each prepared notebook with its status as soon as it is ready:
    'run' (its code changed), 'cached' (prose refreshed, outputs kept),
    'no-code' or 'no-cells'. Notebooks never yielded are current and
    were not touched at all.
    """
    # The slowest frameworks are prepared first, so they execute first
    order = sorted(args.tabs, key=lambda t: START_ORDER.index(t)
                   if t in START_ORDER else len(START_ORDER))
    cmd = [str(envs.python(envs.TOOLS)), '-m', 'builder.prepare', *order]
    proc = subprocess.Popen(cmd, cwd=pages.ROOT, env=tools_env(), text=True,
                            stdout=subprocess.PIPE)
    for line in proc.stdout:
        item = json.loads(line)
        if 'lib' in item:
            say(f'[lib] regenerated {item["lib"]} from the #@save cells')
        elif item['status'] == 'failed':
            proc.kill()
            sys.exit(f'FAILED {item["page"]} [{item["tab"]}]: '
                     f'{item["cause"]}')
        else:
            yield pages.Job(Path(item['page']), item['tab']), item['status']
    if proc.wait() != 0:
        sys.exit('[prepare] failed; see the messages above')


class JobQueue:
    """Notebooks to execute, filled while the prepare step still runs."""

    def __init__(self):
        self.jobs, self.closed = [], False
        self.ready = threading.Condition()

    def put(self, job):
        with self.ready:
            self.jobs.append(job)
            self.ready.notify()

    def close(self):
        with self.ready:
            self.closed = True
            self.ready.notify_all()

    def get(self):
        """The next job, and the one likely to follow it on this worker
        (the next in the queue; this job's framework while the prepare
        step may still add more), or None."""
        with self.ready:
            self.ready.wait_for(lambda: self.jobs or self.closed)
            if not self.jobs:
                return None, None
            job = self.jobs.pop(0)
            if self.jobs:
                return job, self.jobs[0]
            return job, None if self.closed else job


class Executor:
    """A worker's executor: one process, in the tools environment, that
    runs notebooks of every framework, each in a fresh kernel."""

    def __init__(self, worker):
        log = pages.BUILD / 'logs' / f'worker{worker}.log'
        log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONPATH=str(pages.ROOT),
                   PYTHONWARNINGS='ignore')
        self.worker = worker
        self.proc = subprocess.Popen(
            [str(envs.python(envs.TOOLS)), '-m', 'builder.execute'],
            cwd=pages.ROOT, env=env, text=True, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=log.open('w'))

    def run(self, job, upcoming):
        """Execute a notebook; the executor starts the upcoming job's
        kernel while this one runs."""
        request = {'page': str(job.page), 'tab': job.tab}
        if upcoming:
            request['next'] = {'page': str(upcoming.page),
                               'tab': upcoming.tab}
        try:
            self.proc.stdin.write(json.dumps(request) + '\n')
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())
        except (OSError, ValueError):
            self.proc.kill()
            return {'status': 'failed', 'seconds': 0, 'cause':
                    f'the executor crashed; see _build/logs/'
                    f'worker{self.worker}.log'}

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait()


def start_workers(queue, workers, report):
    """Threads that execute queued notebooks until the queue is closed.

    Each starts its executor at once, so that Python and nbclient load
    while the prepare step still runs; it starts no kernel until a
    notebook is queued.
    """
    lock = threading.Lock()

    def work(worker):
        executor = Executor(worker)
        try:
            while True:
                job, upcoming = queue.get()
                if job is None:
                    return
                result = executor.run(job, upcoming)
                with lock:
                    report(job, result)
        finally:
            executor.close()

    threads = [threading.Thread(target=work, args=(i,))
               for i in range(workers)]
    for thread in threads:
        thread.start()
    return threads


def describe_failure(job, result):
    where = f'{job.page}:{result["line"]}' if result.get('line') else \
        str(job.page)
    cell = (f' cell {result["cell"]} `{result.get("first_line", "")}`'
            if result.get('cell') else '')
    return f'FAILED {where} [{job.tab}]{cell}: {result["cause"]}'


def stage_eval(args):
    tik = time.time()
    jobs = jobs_of(args.tabs)
    workers = args.jobs or os.cpu_count() or 2
    statuses, failed, queue = {}, [], JobQueue()

    def report(job, result):
        statuses[job] = result['status']
        executed = sum(1 for s in statuses.values()
                       if s in ('executed', 'failed'))
        say(f'[eval {executed:>2}] {job.tab:<10} {str(job.page):<44} '
            f'{result["status"]:<8} {result["seconds"]:>5.1f} s')
        if result['status'] == 'failed':
            failed.append((job, result))

    # With nothing to prepare, no process starts at all
    busy = needs_prepare(args.tabs)
    threads = start_workers(queue, workers, report) if busy else []
    try:
        for job, status in prepared(args) if busy else []:
            statuses[job] = status
            if status == 'run':
                queue.put(job)
    finally:
        queue.close()
        for thread in threads:
            thread.join()
    write_manifest(jobs, failed)
    summarize(jobs, statuses, time.time() - tik)
    if failed:
        for job, result in failed:
            say(describe_failure(job, result))
        sys.exit(f'[eval] {len(failed)} notebook(s) failed; no HTML is built '
                 'from this run')


def write_manifest(jobs, failed):
    """Record the keys of the notebooks this run vouches for."""
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    bad = {job for job, _ in failed}
    for job in jobs:
        entries = manifest.setdefault(job.tab, {})
        if job in bad:
            entries.pop(str(job.page), None)
        else:
            entries[str(job.page)] = keys.recorded(job)
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True))


def stage_localize(args):
    """Give each translated notebook the outputs of the English run."""
    if not args.langs:
        return
    tik = time.time()
    missing = [str(p) for lang in args.langs
               for p in translations.translated_pages(lang)
               if not (pages.ROOT / p).exists()]
    if missing:
        sys.exit('[i18n] missing translated pages (or build with '
                 '--langs none): ' + ', '.join(missing))
    jobs = [pages.Job(Path(lang) / page, tab) for lang in args.langs
            for page in pages.pages() for tab in args.tabs]
    stale = [job for job in jobs if not keys.is_current(job)]
    if stale:
        cmd = [str(envs.python(envs.TOOLS)), '-m', 'builder.localize',
               ','.join(args.langs), ','.join(args.tabs)]
        if subprocess.run(cmd, cwd=pages.ROOT, env=tools_env(),
                          stdout=subprocess.DEVNULL).returncode:
            sys.exit('[i18n] failed; see the messages above')
    write_manifest(jobs, [])
    say(f'[i18n] {", ".join(args.langs)}: {len(stale)} notebooks took the '
        f'English outputs, {len(jobs) - len(stale)} unchanged '
        f'({time.time() - tik:.1f} s, no kernel)')


def summarize(jobs, statuses, seconds):
    for tab in dict.fromkeys(job.tab for job in jobs):
        row = {}
        for job in jobs:
            if job.tab == tab:
                status = statuses.get(job, 'unchanged')
                row[status] = row.get(status, 0) + 1
        say(f'[eval] {tab:<10} ' + ', '.join(
            f'{v} {k}' for k, v in sorted(row.items())))
    executed = sum(1 for s in statuses.values() if s in ('executed',
                                                         'failed'))
    say(f'[eval] {len(jobs)} notebooks: {executed} executed, '
        f'{len(statuses) - executed} with only their text refreshed, '
        f'{len(jobs) - len(statuses)} unchanged; done in {seconds:.1f} s')


def html_stamp(tabs, lang):
    """What a site's HTML depends on besides the Markdown: the notebooks'
    keys (which cover the Markdown), the static files and the HTML code."""
    manifest = json.loads(MANIFEST.read_text())
    site = [str(Path(lang) / page) for page in pages.pages()]
    entries = {t: {p: manifest.get(t, {}).get(p) for p in site} for t in tabs}
    h = hashlib.sha256(json.dumps([tabs, lang, entries],
                                  sort_keys=True).encode())
    files = [pages.ROOT / 'config.ini', pages.ROOT / 'builder' / 'html.py',
             envs.requirements(envs.TOOLS)]
    files += sorted(p for p in (pages.ROOT / 'static').rglob('*')
                    if p.is_file())
    h.update(pages.file_digest(*files).encode())
    return h.hexdigest()[:20]


def stage_html(args):
    for lang in [''] + args.langs:
        build_site(args.tabs, lang)


def build_site(tabs, lang):
    tik = time.time()
    name = lang or 'en'
    stamp_file = pages.BUILD / f'html-{name}.stamp'
    stamp = html_stamp(tabs, lang)
    index = pages.BUILD / 'html' / lang / 'index.html'
    site = index.parent.relative_to(pages.ROOT)
    if stamp_file.exists() and stamp_file.read_text() == stamp and \
            index.exists():
        say(f'[html] {name}: {site} is up to date')
        return
    stamp_file.unlink(missing_ok=True)
    cmd = [str(envs.python(envs.TOOLS)), '-m', 'builder.html',
           *(['--lang', lang] if lang else []), *tabs]
    if subprocess.run(cmd, cwd=pages.ROOT, env=tools_env()).returncode:
        sys.exit(f'[html] {name} failed; _build/html is not a good build')
    stamp_file.write_text(stamp)
    say(f'[html] {name}: {site} built in '
        f'{time.time() - tik:.0f} s ({", ".join(tabs)})')


def build(args):
    tik = time.time()
    stage_lint(args)
    stage_envs(envs.names(args.tabs))
    stage_eval(args)
    stage_localize(args)
    if args.command == 'html':
        stage_html(args)
    say(f'[build] done in {time.time() - tik:.1f} s')


def plan(args):
    """Prepare, then list what would execute; starts no kernel."""
    stage_envs([envs.TOOLS])
    steps = prepared(args) if needs_prepare(args.tabs) else []
    print(json.dumps(sorted([str(job.page), job.tab, status]
                            for job, status in steps)))


def pytest(*targets):
    cmd = [str(envs.python(envs.TOOLS)), '-m', 'pytest', '-p',
           'no:cacheprovider', *targets]
    return subprocess.run(cmd, cwd=pages.ROOT, env=tools_env()).returncode


def test(args):
    """Fast checks first, then the build, then the checks of its outputs."""
    stage_lint(args)
    stage_envs(envs.names(args.tabs))
    if pytest('-m', 'not book', 'tests'):
        sys.exit('[test] fast tests failed; the book was not built')
    args.command = 'html'
    build(args)
    try:
        envs.ensure_chromium()
    except envs.EnvError as error:
        sys.exit(f'[env] {error}')
    sys.exit(pytest('-m', 'book', 'tests'))


def main():
    parser = argparse.ArgumentParser(prog='python3 -m builder')
    parser.add_argument('command', choices=['lint', 'envs', 'lib', 'plan',
                                            'eval', 'html', 'test',
                                            'translations', 'python'])
    parser.add_argument('name', nargs='?', help="for 'python': the env")
    parser.add_argument('--tabs', default='all',
                        help='comma-separated frameworks, or all')
    parser.add_argument('--langs', default='all',
                        help="translations to build: comma-separated, "
                        "all, or none (English is always built)")
    parser.add_argument('--accept', metavar='PAGE',
                        help="for 'translations': mark PAGE current")
    parser.add_argument('--reason', default='',
                        help="for 'translations --accept': why")
    parser.add_argument('--jobs', type=int, default=0,
                        help='notebooks executed at once (default: cores)')
    args = parser.parse_args()
    known = pages.tabs()
    args.tabs = known if args.tabs in ('', 'all') else \
        [t.strip() for t in args.tabs.split(',')]
    unknown = [t for t in args.tabs if t not in known]
    if unknown:
        sys.exit(f'unknown framework(s) {", ".join(unknown)}; config.ini '
                 f'has {", ".join(known)}')
    languages = translations.languages()
    args.langs = languages if args.langs == 'all' else [] \
        if args.langs == 'none' else [x.strip() for x in args.langs.split(',')]
    if set(args.langs) - set(languages):
        sys.exit(f'unknown language(s); config.ini has '
                 f'{", ".join(languages)}')
    if args.command == 'python':
        print(envs.ensure(args.name or envs.TOOLS))
    elif args.command == 'lint':
        stage_lint(args)
    elif args.command == 'envs':
        stage_envs(envs.names(args.tabs))
    elif args.command == 'lib':
        stage_envs([envs.TOOLS])
        keys.LIB_STAMP.unlink(missing_ok=True)
        for _ in prepared(args):
            pass
    elif args.command == 'translations':
        if args.accept:
            translations.accept(Path(args.accept), args.reason)
            say(f'{args.accept} now translates the current English page')
        elif translations.report():
            sys.exit(1)
        else:
            say('every translation is current')
    elif args.command == 'plan':
        plan(args)
    elif args.command == 'test':
        test(args)
    else:
        build(args)


if __name__ == '__main__':
    main()

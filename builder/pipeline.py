"""The build's stages, in order, and what starts the tools for each.

    lint -> envs -> prepare (d2l modules, cells of each framework)
         -> execute (workers, one executor each) -> localize (translations)
         -> html (one site per language)
         -> pdf (one per framework and language)

Standard library only: each stage that needs d2lbook, nbclient or Sphinx
starts a step of builder.tools in the tools environment and reads its
JSON lines. builder.state decides what is current; a stage with nothing
to do starts no process.
"""
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from builder import (book, cluster as clusters, downloads, envs, jobs,
                     lint, state, translations, worker)


class BuildError(SystemExit):
    """A stage failed; its message says where and why."""


def say(message):
    print(message, flush=True)


def tools_env():
    """Environment variables for the steps that run d2lbook's tools."""
    env = envs.with_book_path()
    tools_python = envs.python(envs.TOOLS)
    env['PATH'] = os.pathsep.join([envs.pandoc_dir(tools_python),
                                   str(tools_python.parent), env['PATH']])
    return env


def tool(step, *args, **popen):
    """Start a step of builder.tools in the tools environment, in a
    session of its own: a Ctrl-C reaches the driver, which ends it."""
    cmd = [str(envs.python(envs.TOOLS)), '-m', f'builder.tools.{step}',
           *args]
    return subprocess.Popen(cmd, cwd=book.ROOT, env=tools_env(), text=True,
                            start_new_session=True, **popen)


def end(proc):
    """End a tool and whatever it started."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_tool(step, *args, quiet=False):
    """Run a step to its end; its exit code."""
    proc = tool(step, *args, stdout=subprocess.DEVNULL if quiet else None)
    try:
        return proc.wait()
    finally:
        end(proc)


@contextlib.contextmanager
def build_lock():
    """One build of a clone at a time: a second one waits for the first,
    then finds its work done."""
    # Beside the logs: it names the process that holds it
    path = book.BUILD / 'logs' / 'build.lock'
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'a+') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or 'another process'
            say(f'[build] another build of this clone is running ({holder});'
                ' waiting for it to finish')
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f'pid {os.getpid()}')
        lock.flush()
        yield


def stage_lint():
    if lint.main() != 0:
        raise BuildError(1)


def stage_envs(names):
    tik = time.time()
    # pip mostly waits on downloads and disk, so create several at once
    with ThreadPoolExecutor(3) as pool:
        futures = {name: pool.submit(envs.ensure, name) for name in names}
    errors = [f.exception() for f in futures.values() if f.exception()]
    for error in errors:
        say(f'[env] {error}')
    if errors:
        raise BuildError(f'[env] {len(errors)} environment(s) failed; '
                         'nothing was built')
    say(f'[env] {len(names)} environments ready ({time.time() - tik:.0f} s):'
        f' {", ".join(names)}')


def english_jobs(tabs):
    return jobs.all_jobs(book.pages(), tabs)


def translated_jobs(tabs, langs):
    return [book.Job(book.translated(lang, page), tab) for lang in langs
            for page in book.pages() for tab in tabs]


def needs_prepare(tabs):
    """Whether the d2l modules or any notebook of these frameworks is out
    of date. When none is, the build starts no process at all."""
    return not state.lib_is_current() or not all(
        state.is_current(job) for job in english_jobs(tabs))


def execution_order(tabs, timings):
    """Frameworks with the slowest notebooks first, by the last run's
    times; config.ini's cold_order for those never timed."""
    cold = [t.strip() for t in book.setting(
        'build', 'cold_order', '').split(',') if t.strip()]

    def rank(tab):
        seconds = [state.executed_seconds(timings, job) for job in
                   english_jobs([tab])]
        known = [s for s in seconds if s is not None]
        timed = sum(known) if len(known) == len(seconds) else None
        fallback = cold.index(tab) if tab in cold else len(cold)
        return (timed is None, -(timed or 0), fallback)
    return sorted(tabs, key=rank)


def prepared(tabs, dry_run=False):
    """Regenerate d2l and select cells where sources changed.

    Yields (job, status) for each notebook as soon as it is prepared; see
    builder.tools.prepare for the statuses. Notebooks never yielded are
    current and were not touched at all.
    """
    order = execution_order(tabs, state.load_timings())
    args = ['--tabs', ','.join(order)] + (['--dry-run'] if dry_run else [])
    proc = tool('prepare', *args, stdout=subprocess.PIPE)
    try:
        for line in proc.stdout:
            item = json.loads(line)
            if 'lib' in item:
                verb = 'would regenerate' if dry_run else 'regenerated'
                say(f'[lib] {verb} {item["lib"]} from the #@save cells')
            elif item.get('status') == 'failed':
                where = item['page'] + (f':{item["line"]}'
                                        if item.get('line') else '')
                raise BuildError(f'FAILED {where} [{item["tab"]}]: '
                                 f'{item["cause"]}')
            else:
                yield (book.Job(Path(item['page']), item['tab']),
                       item['status'])
        if proc.wait() != 0:
            raise BuildError('[prepare] failed; see the message above')
    finally:
        end(proc)


def describe_failure(job, answer):
    where = f'{job.page}:{answer["line"]}' if answer.get('line') else \
        str(job.page)
    cell = (f' cell {answer["cell"]} `{answer.get("first_line", "")}`'
            if answer.get('cell') else '')
    return f'FAILED {where} [{job.tab}]{cell}: {answer["cause"]}'


@contextlib.contextmanager
def cluster_for(address, gpu, tabs):
    """The Ray cluster the eval stage runs on (--executor ray), joined
    only when there is something to execute or devices to choose; None
    for the local executor."""
    if gpu and not address:
        raise BuildError('[cluster] --gpu runs the pages that ask for a GPU '
                         "on a cluster's GPU nodes: it needs --executor ray "
                         '--ray-address HOST:PORT')
    os.environ.pop(state.GPU_PAGES, None)
    if not address or not (gpu or needs_prepare(tabs)):
        yield None
        return
    try:
        cluster = clusters.Cluster(address)
    except clusters.ClusterError as error:
        raise BuildError(f'[cluster] {error}') from None
    try:
        have = cluster.resources
        say(f'[cluster] {address}: {have["nodes"]} nodes, {have["cpus"]} '
            f'CPUs, {have["gpus"]} GPUs')
        clusters.devices(cluster, gpu, english_jobs(tabs), say)
        yield cluster
    finally:
        cluster.stop()


def stage_eval(tabs, workers=0, cluster=None):
    tik = time.time()
    all_jobs = english_jobs(tabs)
    timings = state.load_timings()
    statuses, failed, queue = {}, [], jobs.JobQueue()

    def report(job, answer):  # called holding lock
        statuses[job] = answer['status']
        executed = sum(1 for s in statuses.values()
                       if s in ('executed', 'failed'))
        node = (f' on node {answer["node"][:8]} ({answer["device"]})'
                if answer.get('node') else '')
        say(f'[eval {executed:>2}] {job.tab:<10} {str(job.page):<44} '
            f'{answer["status"]:<8} {answer["seconds"]:>5.1f} s{node}')
        if answer['status'] == 'failed':
            failed.append((job, answer))
        else:
            state.record_seconds(timings, job, answer['seconds'])

    # With nothing to prepare, no process starts at all; the executors
    # start with the first notebook that needs a kernel, so an edit of
    # prose alone starts none
    busy = needs_prepare(tabs)
    lock, pool = threading.Lock(), None

    def start_pool():
        if cluster:
            return clusters.Pool(queue, cluster, report, lock)
        return jobs.Workers(queue, workers or os.cpu_count() or 2,
                            lambda i: worker.Client(f'worker{i}'), report,
                            lock)
    try:
        for job, status in prepared(tabs) if busy else []:
            with lock:
                statuses[job] = status
            if status == 'run':
                pool = pool or start_pool()
                queue.put(job)
        queue.close()
        if pool:
            pool.join()
    except BaseException as error:
        if pool:
            pool.stop()
        # What finished is kept and vouched for: the next build resumes
        finish_eval(all_jobs, failed, timings, busy)
        if isinstance(error, KeyboardInterrupt):
            left = [job for job in all_jobs if job not in statuses
                    or statuses[job] == 'run']
            raise Interrupted(
                f'[eval] interrupted: {len(all_jobs) - len(left)} of '
                f'{len(all_jobs)} notebooks are done and kept; '
                f'{len(left)} left undone ({", ".join(map(str, left[:6]))}'
                f'{", ..." if len(left) > 6 else ""})') from None
        raise
    finish_eval(all_jobs, failed, timings, busy)
    summarize(all_jobs, statuses, time.time() - tik)
    if failed:
        for job, answer in failed:
            say(describe_failure(job, answer))
        raise BuildError(f'[eval] {len(failed)} notebook(s) failed; no HTML '
                         'is built from this run')


def finish_eval(all_jobs, failed, timings, busy):
    # Read only now: prepare records the d2l modules' key meanwhile
    recorded = state.load()
    state.vouch(recorded, all_jobs, {job for job, _ in failed})
    state.save(recorded)
    if busy:
        state.save_timings(timings)


class Interrupted(BuildError):
    """Ctrl-C: the build stopped, keeping what was done."""


def summarize(all_jobs, statuses, seconds):
    for tab in dict.fromkeys(job.tab for job in all_jobs):
        row = {}
        for job in all_jobs:
            if job.tab == tab:
                status = statuses.get(job, 'unchanged')
                row[status] = row.get(status, 0) + 1
        say(f'[eval] {tab:<10} ' + ', '.join(
            f'{v} {k}' for k, v in sorted(row.items())))
    executed = sum(1 for s in statuses.values() if s in ('executed',
                                                         'failed'))
    say(f'[eval] {len(all_jobs)} notebooks: {executed} executed, '
        f'{len(statuses) - executed} with only their text refreshed, '
        f'{len(all_jobs) - len(statuses)} unchanged; done in {seconds:.1f} s')


def stage_localize(tabs, langs):
    """Give each translated notebook the outputs of the English run."""
    if not langs:
        return
    tik = time.time()
    missing = [str(p) for lang in langs
               for p in translations.translated_pages(lang)
               if not (book.ROOT / p).exists()]
    if missing:
        raise BuildError('[i18n] missing translated pages (or build with '
                         '--langs none): ' + ', '.join(missing))
    all_jobs = translated_jobs(tabs, langs)
    stale = [job for job in all_jobs if not state.is_current(job)]
    if stale and run_tool('localize', '--langs', ','.join(langs),
                          '--tabs', ','.join(tabs), quiet=True):
        raise BuildError('[i18n] failed; see the messages above')
    recorded = state.load()
    state.vouch(recorded, all_jobs)
    state.save(recorded)
    say(f'[i18n] {", ".join(langs)}: {len(stale)} notebooks took the '
        f'English outputs, {len(all_jobs) - len(stale)} unchanged '
        f'({time.time() - tik:.1f} s, no kernel)')


def stage_downloads(tabs):
    """The d2l wheel and each framework's requirements, for the zips."""
    try:
        made = downloads.ensure(tabs)
    except downloads.DownloadError as error:
        raise BuildError(f'[downloads] {error}')
    folder = downloads.FOLDER.relative_to(book.ROOT)
    say(f'[downloads] {folder}: ' + (', '.join(made) if made else
                                     'up to date'))


def stage_html(tabs, langs):
    """Build the sites whose inputs changed, all in one tools process,
    after the downloads they offer."""
    stage_downloads(tabs)
    tik = time.time()
    recorded = state.load()
    keys, stale = {}, []
    for lang in [''] + list(langs):
        name = lang or 'en'
        keys[name] = state.site_key(recorded, tabs, lang)
        index = book.BUILD / 'html' / lang / 'index.html'
        if recorded.get('sites', {}).get(name) == keys[name] and \
                index.exists():
            say(f'[html] {name}: {index.parent.relative_to(book.ROOT)} is '
                'up to date')
        else:
            stale.append(name)
    if not stale:
        return
    # Forget the sites' keys first: an interrupted step is always redone
    for name in stale:
        recorded.setdefault('sites', {}).pop(name, None)
    state.save(recorded)
    if run_tool('html', '--tabs', ','.join(tabs), '--langs',
                ','.join(stale)):
        raise BuildError(f'[html] {", ".join(stale)} failed; _build/html is '
                         'not a good build')
    recorded = state.load()
    for name in stale:
        recorded.setdefault('sites', {})[name] = keys[name]
    state.save(recorded)
    say(f'[html] {", ".join(stale)} built in {time.time() - tik:.0f} s '
        f'({", ".join(tabs)})')


def stage_pdf(tabs, langs):
    """One PDF per framework and language, each rebuilt only when what it
    holds changed (state.pdf_key), as many at once as there are cores.
    Each site links them from its pdf/ folder."""
    tik = time.time()
    wanted = [(tab, lang) for lang in [''] + list(langs) for tab in tabs]
    recorded = state.load()
    keys = {w: state.pdf_key(recorded, *w) for w in wanted}
    done = recorded.setdefault('pdfs', {})
    stale = [w for w in wanted if done.get(state.pdf_file(*w).stem)
             != keys[w] or not state.pdf_file(*w).exists()]
    if stale:
        try:
            envs.ensure_tex()
        except envs.EnvError as error:
            raise BuildError(f'[env] {error}')
        # Forget the keys first: an interrupted PDF is always redone
        for w in stale:
            done.pop(state.pdf_file(*w).stem, None)
        state.save(recorded)
    failed = []
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for (tab, lang), answer in zip(stale, pool.map(build_pdf, stale)):
            name = state.pdf_file(tab, lang).relative_to(book.ROOT)
            if 'error' in answer:
                failed.append(f'FAILED {name}: {answer["error"]}')
                continue
            recorded = state.load()
            recorded.setdefault('pdfs', {})[name.stem] = keys[(tab, lang)]
            state.save(recorded)
            say(f'[pdf] {name}: {answer["pages"]} pages in '
                f'{answer["seconds"]:.0f} s')
    for line in failed:
        say(line)
    if failed:
        raise BuildError(f'[pdf] {len(failed)} PDF(s) failed; see above')
    for w in wanted:
        link_pdf(state.pdf_file(*w))
    say(f'[pdf] {len(wanted)} PDFs: {len(stale)} built, '
        f'{len(wanted) - len(stale)} up to date ({time.time() - tik:.0f} s)')


def build_pdf(job):
    """Run the PDF step for one (framework, language); its JSON answer."""
    tab, lang = job
    proc = tool('pdf', '--tabs', tab, '--langs', lang,
                stdout=subprocess.PIPE)
    try:
        lines = proc.stdout.read().splitlines()
        code = proc.wait()
    finally:
        end(proc)
    answer = json.loads(lines[-1]) if lines else {}
    if code != 0 and 'error' not in answer:
        answer['error'] = f'the PDF step exited with {code}; see above'
    return answer


def link_pdf(pdf):
    """Copy a PDF where the pages link it: _build/html/pdf/."""
    target = book.BUILD / 'html' / 'pdf' / pdf.name
    if not (target.exists() and target.stat().st_size == pdf.stat().st_size
            and target.stat().st_mtime_ns == pdf.stat().st_mtime_ns):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(pdf, target)


def build(tabs, langs, html=True, workers=0, pdf=False, ray_address=None,
          gpu=False):
    """Everything the book needs, from lint to the HTML and the PDFs; the
    notebooks execute here, or on the Ray cluster at ray_address."""
    tik = time.time()
    stage_lint()
    stage_envs(envs.names(tabs))
    with build_lock():
        with cluster_for(ray_address, gpu, tabs) as cluster:
            stage_eval(tabs, workers, cluster)
        stage_localize(tabs, langs)
        if html:
            stage_html(tabs, langs)
        if pdf:
            stage_pdf(tabs, langs)
    say(f'[build] done in {time.time() - tik:.1f} s')


def plan(tabs):
    """What the prepare step would do; writes nothing, starts no kernel."""
    stage_envs([envs.TOOLS])
    with build_lock():
        steps = list(prepared(tabs, dry_run=True)) if needs_prepare(tabs) \
            else []
    return sorted([str(job.page), job.tab, status] for job, status in steps)


def why(page, tab):
    """Lines saying whether and why a notebook would be redone."""
    job = book.Job(Path(page), tab)
    reasons = state.why(job)
    if not reasons:
        return [f'{job}: current; nothing would be redone']
    lines = [f'{job} would be redone:'] + [f'  - {r}' for r in reasons]
    if book.english_of(job.page) is None and state.recorded(job):
        steps = dict(((p, t), s) for p, t, s in plan([tab]))
        status = steps.get((str(job.page), tab))
        lines.append({'run': '  so its code runs again in a fresh kernel',
                      'cached': '  its code is unchanged: only its text is '
                      'refreshed, no kernel starts',
                      }.get(status, f'  prepare says: {status}'))
    return lines


def pytest(*targets):
    cmd = [str(envs.python(envs.TOOLS)), '-m', 'pytest', '-p',
           'no:cacheprovider', *targets]
    return subprocess.run(cmd, cwd=book.ROOT, env=tools_env()).returncode


def test(tabs, langs):
    """Fast tests first, then the whole build, then the tests of its
    outputs (the book's notebooks, HTML in a browser, and PDFs)."""
    stage_lint()
    # The tests of the cluster executor need Ray's environment as well
    stage_envs(envs.names(tabs) + [envs.RAY])
    if pytest('-m', 'not book', 'tests'):
        raise BuildError('[test] fast tests failed; the book was not built')
    build(tabs, langs, pdf=True)
    try:
        envs.ensure_chromium()
    except envs.EnvError as error:
        raise BuildError(f'[env] {error}')
    raise BuildError(pytest('-m', 'book', 'tests'))

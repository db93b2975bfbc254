"""What happens to real builds: Ctrl-C, a killed driver, dying kernels,
hung cells, damaged caches, two builds at once, a half-made environment.

Each test causes the fault for real on a book of a page or two in one
framework, then checks the message, that no process of the build is
left, and that the next build succeeds with nothing stale.
"""
import json
import os
import re
import signal
import time

import psutil
import pytest

from books import driver, make_book, page, start

HOLD = """\
import os, time
open(os.environ['STARTED'], 'w').close()
while os.path.exists(os.environ['HOLD']):
    time.sleep(0.05)"""


def processes_in(root):
    """The processes whose working folder is inside the book."""
    found = []
    for proc in psutil.process_iter(['pid']):
        try:
            if proc.cwd().startswith(str(root)):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, OSError):
            pass
    return found


def none_left(root, seconds=15):
    """Wait until no process of the build is left; those left, if any."""
    deadline = time.time() + seconds
    while processes_in(root) and time.time() < deadline:
        time.sleep(0.2)
    return [' '.join(p.cmdline()[:4]) for p in processes_in(root)]


def wait_for(path, proc, seconds=120):
    deadline = time.time() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, f'{path} never appeared'
        time.sleep(0.1)


@pytest.fixture
def held(tmp_path):
    """A book whose second page waits while the HOLD file exists."""
    root = make_book(tmp_path / 'book', {'fast': page('x = 1'),
                                         'slow': page(HOLD)})
    hold, started = tmp_path / 'hold', tmp_path / 'started'
    hold.touch()
    return root, {'HOLD': str(hold), 'STARTED': str(started)}


def test_ctrl_c_stops_the_build_ends_its_processes_and_keeps_work(held):
    root, env = held
    build = start(root, 'eval', '--jobs', '1', env=env)
    wait_for(root.parent / 'started', build)
    tik = time.time()
    os.killpg(build.pid, signal.SIGINT)  # what Ctrl-C at a terminal does
    out, err = build.communicate(timeout=60)
    print(f'stopped {time.time() - tik:.1f} s after Ctrl-C')
    assert build.returncode == 130
    # The index page (no code) and fast.md are done
    assert 'interrupted: 2 of 3 notebooks are done and kept; 1 left ' \
        'undone (slow.md [pytorch])' in err
    assert 'Traceback' not in out + err
    assert none_left(root) == []
    os.unlink(env['HOLD'])
    again = driver(root, 'eval', env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert ' 1 executed' in again.stdout and 'slow.md' in again.stdout
    assert 'fast.md ' not in again.stdout.split('[eval] ')[0]


def test_a_killed_driver_leaves_no_process_behind(held):
    root, env = held
    build = start(root, 'eval', '--jobs', '1', env=env)
    wait_for(root.parent / 'started', build)
    assert len(processes_in(root)) >= 3  # driver, executor, kernel
    os.kill(build.pid, signal.SIGKILL)  # the OOM killer, a closed terminal
    build.wait()
    assert none_left(root) == []


def test_a_dying_kernel_is_named_and_the_other_notebooks_run(tmp_path):
    root = make_book(tmp_path, {'dies': page('x = 1', 'import os\nos._exit(3)'),
                                'after': page('y = 2')})
    result = driver(root, 'eval', '--jobs', '1', timeout=300)
    assert result.returncode != 0
    assert ('FAILED dies.md:15 [pytorch] cell 2 `import os`: kernel died '
            '(exit code 3)') in result.stdout
    assert re.search(r'after\.md +executed', result.stdout)
    assert json.loads((root / '_build' / 'eval_pytorch' / 'after.ipynb')
                      .read_text())['cells']
    assert none_left(root) == []


def test_a_cell_past_its_timeout_fails_and_a_page_can_raise_it(tmp_path):
    root = make_book(tmp_path, {
        'hangs': page('import time\ntime.sleep(60)'),
        'patient': page('import time\ntime.sleep(4)')},
        settings='[page patient.md]\ncell_timeout = 60\n')
    config = root / 'config.ini'
    config.write_text(config.read_text().replace('cell_timeout = 300',
                                                 'cell_timeout = 2'))
    result = driver(root, 'eval', timeout=300)
    assert result.returncode != 0
    assert ('FAILED hangs.md:10 [pytorch] cell 1 `import time`: the cell ran '
            'longer than 2 s') in result.stdout
    assert re.search(r'patient\.md +executed', result.stdout)
    assert 'FAILED patient.md' not in result.stdout
    assert none_left(root) == []


def test_damaged_cache_files_are_named_and_made_again(tmp_path):
    root = make_book(tmp_path, {'a': page('x = 1\nx')})
    assert driver(root, 'html').returncode == 0
    notebook = root / '_build' / 'eval_pytorch' / 'a.ipynb'
    recorded = root / '_build' / 'state.json'
    converted = root / '_build' / 'rst' / 'a.rst.json'
    for path in (notebook, recorded, converted):
        path.write_text(path.read_text()[:len(path.read_text()) // 2])
    result = driver(root, 'html')
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ('_build/eval_pytorch/a.ipynb', '_build/state.json',
                 '_build/rst/a.rst.json'):
        assert f'[cache] {name} cannot be read' in result.stderr
    assert 'Traceback' not in result.stdout + result.stderr
    assert ' 1 executed' in result.stdout
    cells = json.loads(notebook.read_text())['cells']
    assert [c['outputs'] for c in cells if c['cell_type'] == 'code'][0]
    assert driver(root, 'plan').stdout.strip().endswith('[]')


def test_a_second_build_waits_for_the_first_and_both_succeed(held):
    root, env = held
    first = start(root, 'html', '--jobs', '1', env=env)
    wait_for(root.parent / 'started', first)
    second = start(root, 'html', env=env)
    line = second.stdout.readline()
    while 'waiting for it to finish' not in line:
        assert line, second.communicate()
        line = second.stdout.readline()
    os.unlink(env['HOLD'])
    assert first.wait(timeout=300) == 0, first.communicate()
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, out + err
    assert ' 0 executed' in out
    assert (root / '_build' / 'html' / 'slow.html').exists()
    assert driver(root, 'plan').stdout.strip().endswith('[]')


def test_an_environment_whose_creation_was_cut_short_is_made_again(
        tmp_path):
    root = make_book(tmp_path / 'book', {'a': page('x = 1', tab='plain')},
                     tabs='plain',
                     settings='[library-plain]\nlib_file = d2l/plain.py\n')
    (root / 'd2l' / 'plain.py').write_text(
        '"""A framework of plain Python, for tests."""\n')
    (root / 'requirements' / 'plain.txt').write_text('ipykernel==7.4.0\n')
    env = {'BUILDERS_GUIDE_ENV_CACHE': str(tmp_path / 'envs')}
    build = start(root, 'envs', '--tabs', 'plain', env=env)
    # Stop it while pip installs, as a killed terminal would
    deadline = time.time() + 120
    while not list((tmp_path / 'envs').glob(
            'plain-*/lib/python*/site-packages/*.dist-info')):
        assert build.poll() is None and time.time() < deadline
        time.sleep(0.05)
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    made, = (tmp_path / 'envs').glob('plain-*')
    assert not (made / '.complete').exists()
    again = driver(root, 'envs', '--tabs', 'plain', env=env, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert '[env] creating plain environment' in again.stderr
    assert (made / '.complete').exists()


def test_a_save_cell_for_a_class_never_saved_names_its_page(tmp_path):
    cell = ('@d2l.add_to_class(d2l.Module)  #@save\n'
            'def extra(self):\n    """One more method."""\n    return 1')
    root = make_book(tmp_path, {'a': page('from d2l import torch as d2l',
                                          cell)})
    result = driver(root, 'eval')
    assert result.returncode != 0
    assert ('FAILED a.md:15 [pytorch]: #@save cell cannot be saved into '
            "d2l/torch.py: KeyError: 'Module'") in result.stderr
    assert 'Traceback' not in result.stdout + result.stderr


def test_an_error_inside_a_step_is_one_line_unless_debugging(tmp_path):
    root = make_book(tmp_path, {'a': page('x = 1')})
    (root / 'static' / 'words.json').write_text('{"en": ')
    result = driver(root, 'html')
    assert result.returncode != 0
    assert '[html] FAILED the en site: JSONDecodeError: ' in result.stderr
    assert 'Traceback' not in result.stdout + result.stderr
    debug = driver(root, '--debug', 'html')
    assert 'Traceback' in debug.stderr


def test_a_worker_holds_at_most_the_running_and_the_next_kernel(tmp_path):
    pages = {f'p{i}': page('import time\ntime.sleep(1)') for i in range(4)}
    root = make_book(tmp_path, pages)
    build = start(root, 'eval', '--jobs', '1')
    most = 0
    while build.poll() is None:
        kernels = [p for p in processes_in(root)
                   if 'ipykernel' in ' '.join(p.cmdline())]
        most = max(most, len(kernels))
        time.sleep(0.1)
    assert build.returncode == 0, build.communicate()
    assert most == 2
    assert none_left(root) == []

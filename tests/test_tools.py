"""The tools' tricky parts on small inputs: no built book needed.

These import the tools environment's packages (d2lbook, nbformat,
jupyter_client), which `make test` runs them in.
"""
import asyncio
import json
import sys
import time
from pathlib import Path

import nbformat

from builder.tools import html, kernels, notebooks


def test_escape_literals_escapes_markup_only_inside_outputs():
    body = '\n'.join([
        'Text with *emphasis* stays.',
        '',
        '.. parsed-literal::',
        '    :class: output',
        '',
        '    dense1_ (`x`) *args | a\\b',
        '',
        'After the block, `code` stays.'])
    lines = html.escape_literals(body).split('\n')
    assert lines[0] == 'Text with *emphasis* stays.'
    assert lines[3] == '    :class: output'
    assert lines[5] == '    dense1\\_ (\\`x\\`) \\*args \\| a\\\\b'
    assert lines[7] == 'After the block, `code` stays.'


def test_copy_changed_copies_new_and_changed_files_only(tmp_path):
    src, dst = tmp_path / 'src', tmp_path / 'dst'
    (src / 'js').mkdir(parents=True)
    (src / 'js' / 'a.js').write_text('a')
    (src / 'b.css').write_text('b')
    html.copy_changed(src, dst)
    assert (dst / 'js' / 'a.js').read_text() == 'a'
    kept = (dst / 'b.css').stat().st_mtime_ns
    time.sleep(0.01)
    (src / 'js' / 'a.js').write_text('a, edited')
    html.copy_changed(src, dst)
    assert (dst / 'js' / 'a.js').read_text() == 'a, edited'
    assert (dst / 'b.css').stat().st_mtime_ns == kept


def test_search_index_lists_each_titles_pages_in_order(tmp_path):
    index = tmp_path / 'searchindex.js'
    data = {'alltitles': {'Summary': [[3, 'summary'], [1, 'summary']]},
            'docnames': ['a', 'b'], 'indexentries': {}}
    index.write_text('Search.setIndex(' + json.dumps(data) + ')')
    html.stable_search_index(index)
    text = index.read_text()
    assert text.startswith('Search.setIndex(') and text.endswith(')')
    stable = json.loads(text[len('Search.setIndex('):-1])
    assert stable['alltitles']['Summary'] == [[1, 'summary'], [3, 'summary']]


def test_cell_ids_come_from_position_and_content():
    def ids(sources):
        nb = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell(s) for s in sources])
        return [c.id for c in notebooks.stable_ids(nb).cells]
    assert ids(['x = 1', 'y = 2']) == ids(['x = 1', 'y = 2'])
    first, second = ids(['x = 1', 'x = 1'])
    assert first != second
    assert ids(['x = 1', 'y = 3'])[0] == first
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x')])
    nbformat.validate(notebooks.stable_ids(nb))


def python_kernels():
    """Kernels of this environment's own Python, started as the build
    starts a framework's kernels."""
    specs = Path(sys.prefix) / 'share' / 'jupyter' / 'kernels'
    return kernels.Kernels(spec=lambda tab: (specs, 'python3'))


async def ended(km, seconds=60):
    """Whether a kernel ends within seconds (a loaded machine reaps a
    killed process late)."""
    for _ in range(int(seconds / 0.05)):
        if not await km.is_alive():
            return True
        await asyncio.sleep(0.05)
    return False


def test_a_prestarted_kernel_is_taken_for_its_folder(tmp_path):
    async def scenario():
        pool = python_kernels()
        pool.prestart('py', tmp_path)
        waiting = pool.warm['py'][1]
        km = await pool.take('py', tmp_path)
        assert km is await waiting and 'py' not in pool.warm
        assert await km.is_alive()
        await pool.shutdown(km)
        assert await ended(km) and pool.alive == set()
        await pool.discard()
    asyncio.run(scenario())


def test_a_kernel_started_for_another_folder_is_replaced(tmp_path):
    async def scenario():
        pool = python_kernels()
        other = tmp_path / 'other'
        other.mkdir()
        pool.prestart('py', other)
        waiting = await pool.warm['py'][1]
        fresh = await pool.take('py', tmp_path)
        assert fresh is not waiting and await fresh.is_alive()
        assert await ended(waiting)
        await pool.discard()
        assert await ended(fresh)
    asyncio.run(scenario())


def test_at_most_one_kernel_waits_whatever_its_framework(tmp_path):
    async def scenario():
        pool = python_kernels()
        pool.prestart('a', tmp_path)
        first = await pool.warm['a'][1]
        pool.prestart('b', tmp_path)
        assert list(pool.warm) == ['b']
        await pool.warm['b'][1]
        assert await ended(first)
        await pool.discard()
    asyncio.run(scenario())

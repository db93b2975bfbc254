"""The generated part of d2l/<framework>.py always matches the #@save cells."""
import shutil
import subprocess
import sys

import pytest

from builder import book
from conftest import ROOT, TABS

MARKER = '#################   WARNING   ################'


def copy_book(dst):
    for name in ('builder', 'd2l', 'chapter_builders-guide', 'static'):
        shutil.copytree(ROOT / name, dst / name)
    for name in ('config.ini', 'index.md'):
        shutil.copy(ROOT / name, dst / name)
    return dst


def lib_check(root):
    return subprocess.run([sys.executable, '-m', 'builder.tools.lib', '--check'],
                          cwd=root, capture_output=True, text=True,
                          env={'PYTHONPATH': str(root), 'PATH': ''})


def test_committed_modules_match_the_save_cells():
    result = lib_check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize('tab', TABS)
def test_hand_edit_below_the_marker_is_caught(tmp_path, tab):
    root = copy_book(tmp_path)
    module = root / book.lib_file(tab).relative_to(ROOT)
    module.write_text(module.read_text() + '\ndef sneaky():\n    pass\n')
    result = lib_check(root)
    assert result.returncode == 1
    assert f'{module.relative_to(root)} differs from the #@save cells' in \
        result.stdout


def test_new_save_cell_not_regenerated_is_caught(tmp_path):
    root = copy_book(tmp_path)
    page = root / 'chapter_builders-guide' / 'parameters.md'
    page.write_text(page.read_text() + (
        '\n```{.python .input}\n%%tab all\n'
        'def fresh_helper():  #@save\n    """New."""\n    return 1\n```\n'))
    result = lib_check(root)
    assert result.returncode == 1
    assert all(f'{book.lib_file(t).relative_to(ROOT)} differs' in
               result.stdout for t in TABS)


def test_hand_written_part_above_the_marker_is_kept(tmp_path):
    root = copy_book(tmp_path)
    subprocess.run([sys.executable, '-m', 'builder.tools.lib'], cwd=root,
                   check=True, capture_output=True,
                   env={'PYTHONPATH': str(root), 'PATH': ''})
    for tab in TABS:
        text = (root / book.lib_file(tab).relative_to(ROOT)).read_text()
        original = book.lib_file(tab).read_text()
        assert text.split(MARKER)[0] == original.split(MARKER)[0]

"""The d2l package, tested inside each framework's own environment."""
import subprocess
import sys
import zipfile

from conftest import ROOT, TABS, run_in, run_json
from builder import book

FRAMEWORK_MODULES = {'pytorch': 'torch', 'mxnet': 'mxnet', 'jax': 'jax',
                     'tensorflow': 'tensorflow'}


def test_each_d2l_module_imports_only_its_own_framework(tab):
    module = book.lib_module(tab)
    loaded = run_json(tab, f"""
import json, sys
import {module}
print(json.dumps(sorted(m for m in {list(FRAMEWORK_MODULES.values())}
                        if m in sys.modules)))
""")
    assert loaded == [FRAMEWORK_MODULES[tab]]


def test_package_version_is_the_books_release(tab):
    version = run_in(tab, 'import d2l; print(d2l.__version__)').strip()
    release = book.read_config()['project']['release']
    assert version == release


def test_add_to_class_adds_a_method_to_an_existing_class(tab):
    out = run_in(tab, f"""
from {book.lib_module(tab)} import add_to_class
class Counter:
    def __init__(self):
        self.n = 2
@add_to_class(Counter)
def doubled(self):
    return 2 * self.n
print(Counter().doubled())
""")
    assert out.strip() == '4'


def test_jax_keys_are_reproducible_across_kernels_and_never_repeat():
    code = """
import json
from d2l import jax as d2l
keys = [d2l.get_key().tolist() for _ in range(3)]
print(json.dumps([d2l.get_seed(), keys]))
"""
    first, second = run_json('jax', code), run_json('jax', code)
    seed, keys = first
    assert seed == 0
    assert first == second
    assert len({tuple(k) for k in keys}) == 3


def test_pip_install_builds_a_wheel_holding_every_module(tmp_path):
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
                    '--no-build-isolation', '--quiet', '-w', str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    wheel, = tmp_path.glob('*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {'d2l/__init__.py'} | {
        f'd2l/{book.lib_file(t).name}' for t in TABS}
    assert expected <= names


def test_device_helpers_agree_with_the_gpu_count(tab):
    """try_gpu falls back to the CPU; try_all_gpus lists every GPU."""
    result = run_json(tab, f"""
import json
import {book.lib_module(tab)} as d2l
n = d2l.num_gpus()
print(json.dumps([n, str(d2l.try_gpu()) == str(d2l.cpu()) if n == 0
                  else str(d2l.try_gpu()) == str(d2l.gpu(0)),
                  str(d2l.try_gpu(n)) == str(d2l.cpu()),
                  [str(d) for d in d2l.try_all_gpus()] ==
                  ([str(d2l.gpu(i)) for i in range(n)] or [str(d2l.cpu())])]))
""")
    count, first, beyond_last, all_gpus = result
    # The pinned environments are CPU builds of every framework
    assert count == 0
    assert first and beyond_last and all_gpus


def test_generated_helpers_say_where_they_are_defined(tab):
    doc = run_in(tab, f'import {book.lib_module(tab)} as d2l\n'
                      'print(d2l.try_gpu.__doc__)')
    assert 'Defined in :numref:`sec_use_gpu`' in doc

"""A failing cell stops the build, says where and why, publishes nothing."""
import json
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

PAGE = """\
# Page
:label:`sec_page`

```{.python .input}
%load_ext d2lbook.tab
tab.interact_select(['pytorch', 'jax'])
```

```{.python .input}
%%tab pytorch, jax
x = 1
```

Then a cell that works in PyTorch and fails in JAX.

```{.python .input}
%%tab pytorch
y = x + 1
```

```{.python .input}
%%tab jax
y = x / 0
```
"""


def make_book(root, page):
    for name in ('builder', 'd2l', 'requirements', 'static'):
        shutil.copytree(ROOT / name, root / name)
    # A book in two frameworks keeps the test short
    config = (ROOT / 'config.ini').read_text()
    (root / 'config.ini').write_text(re.sub(r'(?m)^tabs = .*$',
                                            'tabs = pytorch, jax', config))
    (root / 'index.md').write_text(
        '# Book\n\n```toc\n:numbered:\n\npage\n```\n')
    (root / 'page.md').write_text(page)
    return root


def driver(root, *args):
    return subprocess.run([sys.executable, '-m', 'builder', *args], cwd=root,
                          capture_output=True, text=True)


@pytest.fixture(scope='module')
def failed_build(tmp_path_factory):
    root = make_book(tmp_path_factory.mktemp('book'), PAGE)
    return root, driver(root, 'html')


def test_failing_cell_is_named_by_page_line_framework_cell_and_cause(
        failed_build):
    _, result = failed_build
    assert result.returncode != 0
    # The JAX notebook's second code cell opens at line 21 of page.md
    assert ('FAILED page.md:21 [jax] cell 2 `y = x / 0`: ZeroDivisionError: '
            'division by zero') in result.stdout


def test_other_frameworks_are_kept_and_no_html_is_built(failed_build):
    root, result = failed_build
    kept = json.loads((root / '_build' / 'eval_pytorch' / 'page.ipynb')
                      .read_text())
    assert [c['outputs'] for c in kept['cells'] if c['cell_type'] == 'code']
    assert not (root / '_build' / 'eval_jax' / 'page.ipynb').exists()
    assert not (root / '_build' / 'html').exists()
    assert 'no HTML is built' in result.stderr


def test_html_step_refuses_notebooks_the_eval_step_did_not_record(
        failed_build):
    root, _ = failed_build
    recorded = json.loads((root / '_build' / 'state.json').read_text())
    assert 'page.md' in recorded['notebooks']['pytorch']
    assert 'page.md' not in recorded['notebooks'].get('jax', {})
    tools = subprocess.run([sys.executable, '-m', 'builder', 'python'],
                           cwd=root, capture_output=True, text=True)
    result = subprocess.run([tools.stdout.strip(), '-m', 'builder.tools.html',
                             '--tabs', 'pytorch,jax'], cwd=root,
                            capture_output=True, text=True,
                            env={'PYTHONPATH': str(root)})
    assert result.returncode != 0
    assert 'refusing to build: page.md [jax]' in result.stderr

"""The kernel's half of author mode: the framework comes from the kernel.

An IPython extension that author mode's kernels load at start (the
kernelspec builder.tools.author writes passes ``--ext`` with this
module), in the framework's own environment. A page's first code cell,

    %load_ext d2lbook.tab
    tab.interact_select(['pytorch', 'mxnet', 'jax', 'tensorflow'])

then offers the frameworks with the kernel's own (``BUILDERS_GUIDE_TAB``)
already chosen, so that ``%%tab jax`` cells run in the JAX kernel from
the start. d2lbook's own choice would be the first of the list, and it
records every choice in one file in /tmp that every kernel on the
machine shares (and that another user's kernel may own): here choices
are recorded nowhere, each kernel keeps its own.

Files that a page writes land in _build/author/<framework>/<page's
folder>, as the build's land in _build/eval_<framework>/, never next to
the sources.
"""
import os
from pathlib import Path

from builder import book

TAB_VAR = 'BUILDERS_GUIDE_TAB'


def work_dir(tab, folder):
    """Where a kernel started in a page's folder runs its code."""
    try:
        relative = Path(folder).resolve().relative_to(book.ROOT)
    except ValueError:
        return None
    if relative.parts[:1] == ('_build',):
        return None
    return book.BUILD / 'author' / tab / relative


def choose(tab):
    """Make d2lbook.tab select `tab` and remember choices nowhere."""
    from d2lbook import tab as d2lbook_tab

    d2lbook_tab._LAST_TAB_FILE = os.devnull
    d2lbook_tab._TAB = d2lbook_tab._LAST_TAB = tab

    def interact_select(*tabs):
        if len(tabs) == 1 and isinstance(tabs[0], (list, tuple)):
            tabs = tabs[0]
        from ipywidgets import Dropdown, interact
        tabs = list(tabs)
        first = tab if tab in tabs else tabs[0]
        interact(d2lbook_tab.select_tab,
                 tab=Dropdown(options=tabs, value=first))

    d2lbook_tab.interact_select = interact_select


def load_ipython_extension(ipython):
    tab = os.environ.get(TAB_VAR)
    if not tab:
        return
    choose(tab)
    folder = work_dir(tab, os.getcwd())
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        os.chdir(folder)

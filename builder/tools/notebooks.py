"""Notebooks as the build makes them: one framework's cells of a page,
with stable cell ids, written only when they changed. The page's
framework-selection cell is for Jupyter only: no notebook holds it."""
import hashlib

import nbformat
from d2lbook import library, notebook

from builder import book, state
from builder.markdown import LOAD_TAB, input_cell_lines


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == 'code']


def is_selection(cell):
    return cell.cell_type == 'code' and any(
        line.strip() == LOAD_TAB for line in cell.source.splitlines())


def page_notebook(page):
    """The page's cells without the selection, and the line where each
    code cell's fence is."""
    md = (book.ROOT / page).read_text(encoding='utf-8')
    nb = notebook.read_markdown(md)
    code = [c for c in nb.cells if c.cell_type == 'code']
    fences = [line for line, c in zip(input_cell_lines(md), code)
              if not is_selection(c)]
    # d2lbook drops the selection from its own tab's notebook only, so a
    # page whose only code it is would have no notebook at all. Dropped
    # before the split, the text around it joins again as one cell.
    nb.cells = [c for c in nb.cells if not is_selection(c)]
    return notebook.split_markdown_cell(nb), fences


def text_notebook(page):
    """The page's text alone, for a page with code in none of the
    frameworks built."""
    full, _ = page_notebook(page)
    full.cells = [c for c in full.cells if c.cell_type != 'code']
    return full


def tab_notebook(page, tab, config):
    """The page as a notebook holding only the cells of one framework,
    or None when the page has code but none for this framework."""
    full, fences = page_notebook(page)
    nb = notebook.get_tab_notebook(full, tab, config.default_tab)
    if nb is None:
        return None
    if tab in config.library:
        nb = library.replace_alias(nb, config.library[tab])
    nb = library.format_code_nb(nb)
    nb.metadata.pop('required_libs', None)
    # Remember where each cell starts in the Markdown, for error messages
    for cell in code_cells(nb):
        pos = cell.metadata['origin_pos']
        nth = sum(1 for c in full.cells[:pos] if c.cell_type == 'code')
        cell.metadata['md_line'] = fences[nth]
    return nb


def empty_notebook():
    """What a page with no cell for a framework leaves: no cells."""
    return nbformat.v4.new_notebook()


def stable_ids(nb):
    """Cell ids from each cell's position and content, so that two builds
    of the same sources write the same bytes (nbformat draws them at
    random)."""
    for index, cell in enumerate(nb.cells):
        h = hashlib.sha256(f'{index}\0{cell.cell_type}\0{cell.source}'
                           .encode()).hexdigest()
        cell['id'] = h[:12]
    return nb


def write(path, nb):
    """Write a notebook atomically, and only if it changed."""
    nb.metadata['language_info'] = {'name': 'python'}
    text = nbformat.writes(stable_ids(nb))
    return state.write_if_changed(path, text)


def read(path):
    return nbformat.read(path, as_version=4)

"""The Markdown check: the chapter passes it, and each mistake is caught."""
import textwrap

import pytest

from builder import lint

CONFIG = """\
[build]
index = index
tabs = pytorch, mxnet, jax, tensorflow
exclusions =
"""
SELECTION = """\
```{.python .input}
%load_ext d2lbook.tab
tab.interact_select(['pytorch', 'mxnet', 'jax', 'tensorflow'])
```

"""
GOOD_GROUP = SELECTION + """\
```{.python .input}
%%tab pytorch
x = 1
```

```{.python .input}
%%tab mxnet, jax
x = 2
```

```{.python .input}
%%tab tensorflow
x = 3
```
"""


def make_book(tmp_path, page):
    (tmp_path / 'config.ini').write_text(CONFIG)
    (tmp_path / 'index.md').write_text(
        '# Book\n:label:`chap_book`\n\n```toc\n:maxdepth: 2\n\npage\n```\n')
    (tmp_path / 'page.md').write_text(textwrap.dedent(page))
    return [str(p) for p in lint.lint(tmp_path)]


def test_chapter_passes_lint():
    assert [str(p) for p in lint.lint()] == []


def test_a_complete_page_has_no_problems(tmp_path):
    page = '# Page\n:label:`sec_page`\n\nSee :numref:`chap_book`.\n\n'
    assert make_book(tmp_path, page + GOOD_GROUP) == []


def test_unknown_tab_is_named_with_its_line(tmp_path):
    page = GOOD_GROUP.replace('%%tab tensorflow', '%%tab tensorflow, numpy')
    assert make_book(tmp_path, page) == [
        "page.md:16: unknown tab 'numpy' (config.ini has pytorch, mxnet, "
        "jax, tensorflow)"]


def test_group_missing_a_framework_is_rejected(tmp_path):
    page = GOOD_GROUP.replace('%%tab mxnet, jax', '%%tab mxnet')
    assert make_book(tmp_path, page) == [
        'page.md:6: code group has no jax tab and no prose tab next to it '
        'saying why']


def test_prose_tab_next_to_group_explains_a_missing_framework(tmp_path):
    page = GOOD_GROUP.replace('%%tab mxnet, jax', '%%tab mxnet')
    page += '\n:begin_tab:`jax`\nFlax has no such thing.\n:end_tab:\n'
    assert make_book(tmp_path, page) == []


def test_prose_tab_far_from_the_group_does_not_explain_it(tmp_path):
    page = GOOD_GROUP.replace('%%tab mxnet, jax', '%%tab mxnet')
    page += '\nSome prose.\n\n:begin_tab:`jax`\nToo far.\n:end_tab:\n'
    assert len(make_book(tmp_path, page)) == 1


def test_cell_without_tab_line_is_rejected(tmp_path):
    page = SELECTION + '```{.python .input}\nx = 1\n```\n'
    assert make_book(tmp_path, page) == [
        'page.md:6: code cell has no %%tab line, so it would run in the '
        'default tab only']


def test_page_with_code_must_open_with_the_framework_selection(tmp_path):
    page = GOOD_GROUP.replace(SELECTION, '')
    assert make_book(tmp_path, page) == [
        'page.md:1: the first code cell is not the framework selection '
        "(%load_ext d2lbook.tab, then tab.interact_select of config.ini's "
        "frameworks), so Jupyter would run every framework's cells"]


def test_selection_must_list_exactly_the_books_frameworks(tmp_path):
    page = GOOD_GROUP.replace("'jax', 'tensorflow'", "'tensorflow'")
    assert make_book(tmp_path, page) == [
        'page.md:1: framework selection lists pytorch, mxnet, tensorflow; '
        'config.ini has pytorch, mxnet, jax, tensorflow']


def test_selection_with_a_tab_line_is_rejected(tmp_path):
    page = GOOD_GROUP.replace('%load_ext', '%%tab all\n%load_ext', 1)
    problems = make_book(tmp_path, page)
    assert len(problems) == 1
    assert problems[0].startswith('page.md:1: framework selection is not '
                                  'in the form')


def test_selection_after_the_first_code_cell_is_rejected(tmp_path):
    page = GOOD_GROUP + '\n' + SELECTION
    assert make_book(tmp_path, page) == [
        'page.md:21: framework selection after the first code cell']


def test_page_whose_only_code_is_the_selection_passes(tmp_path):
    assert make_book(tmp_path, '# Page\n\n' + SELECTION + 'Text.\n') == []


@pytest.mark.parametrize('page, expected', [
    (':begin_tab:`jax`\ntext\n', 'page.md:1: :begin_tab: without :end_tab:'),
    ('text\n:end_tab:\n', 'page.md:2: :end_tab: without :begin_tab:'),
])
def test_unbalanced_prose_tabs_are_rejected(tmp_path, page, expected):
    assert make_book(tmp_path, page) == [expected]


def test_duplicate_label_names_both_places(tmp_path):
    page = '# A\n:label:`chap_book`\n'
    assert make_book(tmp_path, page) == [
        "page.md:2: duplicate label 'chap_book', first at index.md:2"]


def test_reference_to_unknown_label_is_rejected(tmp_path):
    page = 'As :numref:`sec_nowhere` shows, and :eqref:`eq_none`.\n'
    assert make_book(tmp_path, page) == [
        "page.md:1: :numref: to unknown label 'sec_nowhere'",
        "page.md:1: :eqref: to unknown label 'eq_none'"]


def test_invalid_save_block_is_rejected_at_its_line(tmp_path):
    page = SELECTION + ('```{.python .input}\n%%tab all\n'
                        'def helper(x):  #@save\n    return x +\n```\n')
    assert make_book(tmp_path, page) == [
        'page.md:9: invalid Python in code cell #@save block: '
        'invalid syntax']


def test_code_line_over_page_width_is_rejected(tmp_path):
    page = SELECTION + ('```{.python .input}\n%%tab all\nx = ' + '1' * 80
                        + '\n```\n')
    assert make_book(tmp_path, page) == [
        'page.md:8: code line is 84 characters, over the page width of 78']

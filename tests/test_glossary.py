"""The glossary check: forbidden variants in a language's prose."""
import json

from builder import glossary

GLOSSARY = """\
# Glossary

| English | use | avoid | note |
|---|---|---|---|
| layer | 층 | `레이어` | |
| hierarchy | 계층 | | |
| layer (2) | 층 | `계층`, `!계층 구조` | |
| dense | terhubung penuh | `dense` | |
"""


def book(tmp_path, page, words=None):
    (tmp_path / 'xx').mkdir()
    (tmp_path / 'xx' / 'GLOSSARY.md').write_text(GLOSSARY)
    (tmp_path / 'xx' / 'page.md').write_text(page)
    if words is not None:
        (tmp_path / 'static').mkdir()
        (tmp_path / 'static' / 'words.json').write_text(json.dumps(
            {'xx': words}, ensure_ascii=False, indent=1))
    return [str(p) for p in glossary.check('xx', tmp_path)]


def test_rules_are_read_from_the_third_of_four_columns(tmp_path):
    book(tmp_path, '')
    rules = glossary.rules('xx', tmp_path)
    assert [(r.english, r.avoid, r.allow) for r in rules] == [
        ('layer', ('레이어',), ()), ('layer (2)', ('계층',), ('계층 구조',)),
        ('dense', ('dense',), ())]


def test_a_forbidden_variant_in_prose_is_named_with_file_and_line(tmp_path):
    problems = book(tmp_path, '# 제목\n\n이 레이어는 가중치를 가진다.\n')
    assert problems == [
        "xx/page.md:3: '레이어' is not used for 'layer': write '층' (see "
        "xx/GLOSSARY.md:5)"]


def test_code_math_roles_and_comments_are_skipped(tmp_path):
    page = ('<!-- translates x.md @ 1234567 (dense) -->\n'
            '`nn.Dense` 는 `dense` 층이다 :label:`sec_dense`\n'
            '$\\textrm{dense}$\n'
            '```{.python .input}\n%%tab all\ndense = 1  # dense\n```\n'
            '$$\ndense\n$$\n')
    assert book(tmp_path, page) == []


def test_latin_variants_match_whole_words_in_any_case(tmp_path):
    page = 'Lapisan Dense ini.\nKata condensed tidak.\n'
    assert [p.split(':')[1] for p in book(tmp_path, page)] == ['1']


def test_an_allowed_longer_word_is_not_a_variant(tmp_path):
    assert book(tmp_path, '계층 구조를 본다.\n') == []
    assert len(book(tmp_path / 'b' if (tmp_path / 'b').mkdir() is None
                    else tmp_path, '계층을 쌓는다.\n')) == 1


def test_the_page_words_of_the_language_are_checked(tmp_path):
    problems = book(tmp_path, '', {'copy': '복사', 'layer': '레이어'})
    assert len(problems) == 1 and problems[0].startswith(
        'static/words.json:')

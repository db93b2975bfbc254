"""The claims ledger names a check for every behavioural claim.

Reads only tests/claims_ledger.tsv, the pages and tests/test_claims.py
(with ast), so it runs before any build: every quoted claim is on its
page, every named test exists, and every page with code has rows.
"""
import ast
import csv
import re

import pytest

from conftest import ROOT

LEDGER = ROOT / 'tests' / 'claims_ledger.tsv'
CHAPTER = ROOT / 'chapter_builders-guide'


def rows():
    lines = [line for line in LEDGER.read_text(encoding='utf-8').splitlines()
             if line and not line.startswith('#')]
    reader = csv.DictReader(lines, delimiter='\t', quoting=csv.QUOTE_NONE)
    return list(reader)


def flat(text):
    return ' '.join(text.split())


def claims_tests():
    tree = ast.parse((ROOT / 'tests' / 'test_claims.py').read_text())
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef)
            and node.name.startswith('test_')}


def test_every_row_has_a_page_a_quote_and_a_check():
    for row in rows():
        assert None not in row.values() and all(row.values()), row


@pytest.mark.parametrize('row', rows(), ids=lambda r: r['quote'][:40])
def test_quoted_claim_is_on_its_page(row):
    page = CHAPTER / f"{row['page']}.md"
    assert flat(row['quote']) in flat(page.read_text(encoding='utf-8'))


def test_every_named_test_exists():
    named = {row['check'] for row in rows()
             if not row['check'].startswith('doc:')}
    assert named <= claims_tests()


def test_doc_rows_say_which_documentation():
    for row in rows():
        if row['check'].startswith('doc:'):
            assert len(row['check'][4:].strip()) > 10, row


def test_every_page_with_code_is_covered():
    with_code = {page.stem for page in CHAPTER.glob('*.md')
                 if re.search(r'^```\{\.python \.input\}',
                              page.read_text(encoding='utf-8'), re.M)}
    assert with_code <= {row['page'] for row in rows()}


def test_every_claims_test_is_in_the_ledger():
    named = {row['check'] for row in rows()}
    assert claims_tests() <= named

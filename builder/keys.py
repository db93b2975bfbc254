"""The hashes that decide what the build must redo. Standard library only.

Two keys describe an executed notebook, and both are stored in its
metadata (``builders_guide``):

- ``source``: the page's Markdown, config.ini, the d2l module, and the
  pinned environments of the framework and of the tools. If it matches,
  nothing about the notebook can have changed, and the driver skips the
  page without starting any process.
- ``key``: the framework's code cells after d2lbook's tab selection, the
  framework's pinned environment and its d2l module: everything that
  decides the outputs. A prose edit changes ``source`` but not ``key``,
  so the notebook's text is refreshed and no kernel starts.
"""
import hashlib
import json

from builder import envs, translations
from builder.pages import (BUILD, FORMAT_VERSION, ROOT, file_digest,
                           lib_file, pages)


def _hash(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b'\0')
    return h.hexdigest()[:20]


def lib_digest(tab):
    return file_digest(ROOT / 'd2l' / '__init__.py', lib_file(tab))


def source_key(job):
    english = translations.english_job(job)
    if english:
        return translation_key(job, (recorded(english) or {}).get('key'))
    return _hash(FORMAT_VERSION, job.tab, envs.env_key(job.tab),
                 envs.env_key(envs.TOOLS), lib_digest(job.tab),
                 (ROOT / 'config.ini').read_bytes(),
                 (ROOT / job.page).read_bytes())


def translation_key(job, english_code_key):
    """A translated notebook depends on its page and the English outputs,
    which the English code key decides; the English prose plays no part,
    so editing it leaves every translation as it is."""
    return _hash(FORMAT_VERSION, job.tab, envs.env_key(envs.TOOLS),
                 json.dumps(english_code_key),
                 (ROOT / 'config.ini').read_bytes(),
                 (ROOT / job.page).read_bytes())


def code_key(tab, sources):
    return _hash(FORMAT_VERSION, tab, envs.env_key(tab), lib_digest(tab),
                 *sources)


def recorded(job):
    """The keys stored in the executed notebook ('' for no cells), or None."""
    path = ROOT / job.out
    if not path.exists():
        return None
    if path.stat().st_size == 0:
        return {'source': path.with_suffix('.nocells').read_text()
                if path.with_suffix('.nocells').exists() else None}
    with path.open() as f:
        return json.load(f)['metadata'].get('builders_guide')


def is_current(job):
    keys = recorded(job)
    return keys is not None and keys.get('source') == source_key(job)


def lib_stamp():
    """What the generated part of the d2l modules depends on."""
    files = [ROOT / 'config.ini'] + [ROOT / p for p in pages()] + sorted(
        (ROOT / 'd2l').glob('*.py'))
    return _hash(FORMAT_VERSION, envs.env_key(envs.TOOLS),
                 file_digest(*files))


LIB_STAMP = BUILD / 'lib.stamp'


def lib_is_current():
    return LIB_STAMP.exists() and LIB_STAMP.read_text() == lib_stamp()

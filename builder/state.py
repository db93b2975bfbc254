"""Every key and stamp the build records, and whether each is current.

Standard library only: the driver and the tools both import it. What is
recorded, and where:

- each executed notebook's metadata (``builders_guide``) holds its two
  keys and the parts they hash:
  ``source``: the page's Markdown, config.ini, the framework's d2l module
  and pinned environment, the tools' environment, the format of the
  build. If it matches, nothing about the notebook can have changed and
  no process starts for it.
  ``code``: what decides the outputs: the framework's cells after
  d2lbook's tab selection, its environment, its d2l module. A prose edit
  changes ``source`` only: the text is refreshed and no kernel starts.
  ``code`` is None when the page has no cell for that framework.
  Both name the device when a notebook runs on a GPU (``device: gpu``,
  and the GPU build's environment), so that a GPU run never passes for
  a CPU one or the reverse; CPU runs leave it out.
  A translated notebook's ``source`` covers its own page and the English
  notebook's ``code`` key (not the English prose); its ``code`` is the
  English one.
- ``_build/state.json``: the keys of the notebooks the last runs vouched
  for (the HTML step takes no other), the d2l modules' key, each
  site's key and the keys of the downloads (builder.downloads: the d2l
  wheel, each framework's runtime requirements).
- ``_build/logs/timings.json``: how long each notebook took to execute
  (a measurement, so it is no part of what two builds must agree on).

``python3 -m builder why PAGE TAB`` prints the parts that differ.
"""
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

from builder import book, envs

# Bump when a change to the build alters what notebooks or sites hold
FORMAT = '3'
STATE = book.BUILD / 'state.json'
TIMINGS = book.BUILD / 'logs' / 'timings.json'
META = 'builders_guide'
# Set by the driver, for itself and every step, when the build runs the
# pages that ask for one (gpus = 1 in their [page ...] section) on a GPU
GPU_PAGES = 'BUILDERS_GUIDE_GPU_PAGES'


def digest(*parts):
    """One short hash over strings, bytes and files' contents."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            part = part.name.encode() + b'\0' + part.read_bytes()
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b'\0')
    return h.hexdigest()[:20]


def key_of(parts):
    return digest(json.dumps(parts, sort_keys=True))


def write_atomic(path, data):
    """Write a file so that a crash leaves the old one or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = 'wb' if isinstance(data, bytes) else 'w'
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.')
    try:
        with os.fdopen(fd, mode, **({} if 'b' in mode else
                                    {'encoding': 'utf-8'})) as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path, data):
    """Write only a changed file, so that its time says when it changed."""
    path = Path(path)
    if path.exists():
        old = path.read_bytes()
        new = data if isinstance(data, bytes) else data.encode('utf-8')
        if old == new:
            return False
    write_atomic(path, data)
    return True


# The parts of the keys

def device(job, root=book.ROOT):
    """'gpu' for a page that asks for a GPU when this build runs such
    pages on GPUs, else 'cpu'."""
    wants = book.page_setting(job.page, 'gpus', 0, root) > 0
    return 'gpu' if wants and os.environ.get(GPU_PAGES) else 'cpu'


def device_parts(tab, device):
    """The environment a notebook runs in and, on a GPU, the device."""
    parts = {'env': envs.env_key(envs.for_device(tab, device))}
    if device != 'cpu':
        parts['device'] = device
    return parts


def lib_digest(tab, root=book.ROOT):
    return digest(root / 'd2l' / '__init__.py', book.lib_file(tab, root))


def source_parts(job, root=book.ROOT):
    """What a notebook's text and outputs can depend on."""
    english = book.english_of(job.page, root)
    parts = {'format': FORMAT, 'tab': job.tab,
             'page': digest((root / job.page).read_bytes()),
             'config': digest((root / 'config.ini').read_bytes()),
             'tools': envs.env_key(envs.TOOLS)}
    if english:
        # The English prose plays no part: editing it leaves translations
        recorded_english = recorded(book.Job(english, job.tab), root)
        parts['english code'] = (recorded_english or {}).get('code', '?')
    else:
        parts.update(device_parts(job.tab, device(job, root)))
        parts['lib'] = lib_digest(job.tab, root)
    return parts


def code_parts(tab, sources, root=book.ROOT, device='cpu'):
    """What decides a notebook's outputs, given its selected cells."""
    return {'format': FORMAT, 'tab': tab, 'cells': digest(*sources),
            **device_parts(tab, device), 'lib': lib_digest(tab, root)}


def source_key(job, root=book.ROOT):
    return key_of(source_parts(job, root))


def code_key(tab, sources, root=book.ROOT):
    return key_of(code_parts(tab, sources, root))


def metadata(source, code, parts):
    """What an executed notebook records about itself."""
    return {'source': source, 'code': code, 'parts': parts}


REPORTED = set()


def unreadable(path, cause):
    """Say once that a cache file cannot be read and will be made again."""
    if path not in REPORTED:
        REPORTED.add(path)
        shown = path.relative_to(book.ROOT) if path.is_relative_to(
            book.ROOT) else path
        print(f'[cache] {shown} cannot be read ({cause}); it is made again',
              file=sys.stderr, flush=True)


def recorded(job, root=book.ROOT):
    """The keys an executed notebook records, or None if there is none
    that can be read (a notebook cut short by a crash counts as none)."""
    path = root / job.out
    try:
        with path.open(encoding='utf-8') as f:
            meta = json.load(f)['metadata'][META]
        if 'source' in meta and 'code' in meta:
            return meta
        unreadable(path, 'made by an older build')
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as error:
        unreadable(path, type(error).__name__)
    return None


def has_cells(meta):
    """Whether a recorded notebook holds the framework's cells."""
    return meta is not None and meta.get('code') is not None


def is_current(job, root=book.ROOT):
    keys = recorded(job, root)
    return keys is not None and keys['source'] == source_key(job, root)


# The build's own record: _build/state.json

def load(root=book.ROOT):
    """The recorded state; an unreadable or older one counts as empty."""
    path = root / STATE.relative_to(book.ROOT)
    try:
        state = json.loads(path.read_text(encoding='utf-8'))
        if state.get('format') == FORMAT:
            return state
        unreadable(path, 'made by an older build')
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError) as error:
        unreadable(path, type(error).__name__)
    return {'format': FORMAT}


def save(state, root=book.ROOT):
    write_atomic(root / STATE.relative_to(book.ROOT),
                 json.dumps(state, indent=1, sort_keys=True))


def vouch(state, jobs, failed=(), root=book.ROOT):
    """Record the keys of the notebooks a run made; forget failed ones."""
    for job in jobs:
        entries = state.setdefault('notebooks', {}).setdefault(job.tab, {})
        keys = None if job in failed else recorded(job, root)
        if keys is None:
            entries.pop(str(job.page), None)
        else:
            entries[str(job.page)] = {'source': keys['source'],
                                      'code': keys['code']}


def vouched(state, job):
    return state.get('notebooks', {}).get(job.tab, {}).get(str(job.page))


def lib_key(root=book.ROOT):
    """What the generated part of the d2l modules depends on."""
    files = [root / 'config.ini'] + [root / p for p in book.pages(root)] + \
        sorted((root / 'd2l').glob('*.py'))
    return digest(FORMAT, envs.env_key(envs.TOOLS), *files)


def lib_is_current(root=book.ROOT):
    return load(root).get('lib') == lib_key(root)


def wheel_sources(root=book.ROOT):
    """The files the d2l wheel is built from."""
    return [root / 'setup.py'] + sorted((root / 'd2l').glob('*.py'))


def wheel_key(root=book.ROOT):
    return digest(FORMAT, envs.env_key(envs.TOOLS), *wheel_sources(root))


def requirements_key(state, tab, root=book.ROOT):
    """What a framework's runtime requirements depend on: its pinned
    environment, its d2l module, the code its notebooks ran and the rule
    (builder/downloads.py, builder/tools/runtime.py)."""
    code = [vouched(state, book.Job(p, tab)) for p in book.pages(root)]
    rule = [root / 'builder' / 'downloads.py',
            root / 'builder' / 'tools' / 'runtime.py']
    return digest(FORMAT, envs.env_key(tab), lib_digest(tab, root),
                  json.dumps(code, sort_keys=True), *rule)


def site_key(state, tabs, lang, root=book.ROOT):
    """What a site's HTML depends on besides the Markdown: the notebooks'
    keys (which cover the Markdown), the static files and the HTML code."""
    site = [book.Job(book.translated(lang, p) if lang else p, tab)
            for tab in tabs for p in book.pages(root)]
    entries = [[str(j.page), j.tab, vouched(state, j)] for j in site]
    # The wheel and the requirements that the zips carry
    made = state.get('downloads', {})
    entries.append([made.get(name) for name in ['wheel', *tabs]])
    files = [root / 'config.ini', envs.requirements(envs.TOOLS)]
    files += sorted(p for p in (root / 'builder' / 'tools').glob('*.py'))
    files += sorted(p for p in (root / 'static').rglob('*') if p.is_file())
    return digest(FORMAT, json.dumps([tabs, lang, entries]), *files)


def pdf_file(tab, lang, root=book.ROOT):
    """One framework's PDF in one language ('' for English), e.g.
    _build/pdf/builders-guide-jax-ko.pdf."""
    return root / '_build' / 'pdf' / f'builders-guide-{tab}-{lang or "en"}.pdf'


def pdf_key(state, tab, lang, root=book.ROOT):
    """What one PDF holds: its framework's notebooks in its language
    (their keys cover the Markdown: a Korean prose edit changes the four
    Korean PDFs only), the resources and the code that typesets it."""
    jobs = [book.Job(book.translated(lang, p) if lang else p, tab)
            for p in book.pages(root)]
    entries = [[str(j.page), vouched(state, j)] for j in jobs]
    tools = root / 'builder' / 'tools'
    files = [root / 'config.ini', envs.requirements(envs.TOOLS),
             root / 'static' / 'words.json', root / 'static' /
             'references.bib', tools / '__init__.py', tools / 'html.py',
             tools / 'pdf.py']
    files += sorted(p for p in (root / 'static' / 'img').rglob('*')
                    if p.is_file())
    return digest(FORMAT, json.dumps([tab, lang, entries, envs.TEX_PACKAGES]),
                  *files)


def load_timings(root=book.ROOT):
    try:
        return json.loads((root / TIMINGS.relative_to(book.ROOT))
                          .read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return {}


def save_timings(timings, root=book.ROOT):
    write_atomic(root / TIMINGS.relative_to(book.ROOT),
                 json.dumps(timings, indent=1, sort_keys=True))


def executed_seconds(timings, job):
    return timings.get(job.tab, {}).get(str(job.page))


def record_seconds(timings, job, seconds):
    timings.setdefault(job.tab, {})[str(job.page)] = seconds


# Why something would be redone

PART_NAMES = {
    'format': 'the build changed what notebooks hold',
    'page': 'the page changed',
    'config': 'config.ini changed',
    'tools': 'the tools environment changed (requirements/tools.txt)',
    'env': 'the framework environment changed (requirements/{tab}.txt)',
    'lib': 'the d2l module changed ({lib})',
    'english code': 'the English code or its outputs changed',
    'cells': "the framework's code cells changed",
    'device': 'it runs on another kind of device (a GPU instead of a CPU '
              'or the reverse)',
}


def differences(old, new, job, root=book.ROOT):
    names = []
    for part in sorted(set(old) | set(new)):
        if old.get(part) != new.get(part):
            text = PART_NAMES.get(part, part)
            names.append(text.format(tab=job.tab, lib=book.lib_file(
                job.tab, root).relative_to(root)))
    return names


def why(job, root=book.ROOT):
    """Why the build would redo a notebook, as lines of text; [] if not."""
    keys = recorded(job, root)
    if keys is None:
        return [f'{job.out} does not exist or cannot be read: it is built']
    old = keys.get('parts', {}).get('source', {})
    reasons = differences(old, source_parts(job, root), job, root)
    if reasons and not old:
        reasons = ['it was made by an older build']
    state = load(root)
    if not reasons and vouched(state, job) != {'source': keys['source'],
                                               'code': keys['code']}:
        reasons = ['no run vouched for it (the last one failed or stopped)']
    return reasons

"""One framework's PDF of the book in one language: rst, Sphinx, XeLaTeX.

``<tools python> -m builder.tools.pdf --tabs jax [--langs ko]`` builds
_build/pdf/builders-guide-jax-ko.pdf (``-en`` for English) the way
``d2lbook build pdf`` does: Sphinx's LaTeX builder, then XeLaTeX through
latexmk. Unlike the HTML it reads one framework's executed notebooks,
not the merged ones, so the PDF holds that framework's code, outputs and
prose tabs only; it takes only notebooks whose keys match the ones the
eval stage recorded. Work files go to _build/latex/<name>/, the LaTeX
log to _build/logs/pdf/<name>.log. It prints one JSON line:
``{"pdf": ..., "pages": N, "seconds": S}``, or ``{"pdf": ..., "error":
...}`` with the LaTeX error when XeLaTeX fails.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from d2lbook import rst as rst_lib
from d2lbook.slides import remove_slide_marks
from d2lbook.sphinx import prepare_sphinx_env

from builder import book, state
from builder.book import BUILD, ROOT, Job
from builder.state import write_if_changed
from builder.tools import arguments, emit
from builder.tools.html import Site, StaleBuild, executed, site_config

LOGS = BUILD / 'logs' / 'pdf'
# The Noto CJK fonts (Debian's fonts-noto-cjk) name each language's forms
CJK_REGION = {'ko': 'KR', 'ja': 'JP'}


def pdf_name(tab, lang):
    """builders-guide-jax-ko: the framework, then the language."""
    return state.pdf_file(tab, lang).stem


def notebook_of(page, tab, recorded):
    """The page's executed notebook in this framework, checked fresh; a
    page without cells for it still brings its prose."""
    nb = executed(page, tab, recorded)
    return nb or nbformat.read(ROOT / Job(page, tab).out, as_version=4)


OUTPUT = re.compile(r'^\.\. parsed-literal::\n    :class: output$',
                    re.MULTILINE)


def to_rst(nb, page):
    """d2lbook's rst of one notebook; outputs become literal code blocks.

    d2lbook writes outputs as parsed-literal, which LaTeX typesets as
    alltt: never wrapped, so a long output runs past the margin. A
    ``code-block:: none`` is the same text in Sphinx's Verbatim, which
    wraps long lines (verbatimforcewraps below). Its content is literal,
    so no rst markup needs escaping.
    """
    sig = state.digest(str(page))[:6]
    body, resources = rst_lib.convert_notebook(
        remove_slide_marks(nb), {'unique_key': f'output_{page.stem}_{sig}'})
    body = OUTPUT.sub('.. code-block:: none\n    :class: output', body)
    files = {page.with_suffix('.rst'): body}
    for name, data in resources['outputs'].items():
        files[page.parent / name] = data
    return files


def words(lang):
    return json.loads((ROOT / 'static' / 'words.json').read_text(
        encoding='utf-8'))[lang or 'en']


def fonts(lang):
    """Latin Modern for text (fontspec's default), DejaVu Sans Mono for
    code (outputs draw boxes: Keras's summaries), Noto CJK through xeCJK
    for Korean and Japanese."""
    mono = r'\setmonofont{DejaVu Sans Mono}[Scale=0.88]'
    if lang not in CJK_REGION:
        return mono
    region = CJK_REGION[lang]
    # Korean separates words with spaces, which xeCJK drops by default,
    # and writes no space between a Latin word and its particle (API를)
    korean = r'\xeCJKsetup{CJKspace=true, CJKecglue={\hskip 0pt}}'
    return '\n'.join([
        mono,
        r'\usepackage{xeCJK}',
        *([korean] if lang == 'ko' else []),
        rf'\setCJKmainfont{{Noto Serif CJK {region}}}',
        rf'\setCJKsansfont{{Noto Sans CJK {region}}}',
        rf'\setCJKmonofont{{Noto Sans Mono CJK {region}}}'])


def latex_settings(tab, lang):
    """What conf.py gets on top of d2lbook's LaTeX settings."""
    name, cjk = pdf_name(tab, lang), lang in CJK_REGION
    title = site_config(Site(lang)).project['title']
    label = book.labels()[tab]
    fvset = r'\fvset{fontsize=\small' + (
        r',formatcom=\xeCJKVerbAddon}' if cjk else '}')
    elements = {
        'papersize': 'a4paper',
        'extraclassoptions': 'openany,oneside',
        'fontpkg': fonts(lang),
        'fvset': fvset,
        # Sphinx's Japanese setup wants platex and jsbook; Korean has no
        # polyglossia gloss that works with xeCJK. xeCJK sets the text,
        # the table of contents takes its name from static/words.json
        **({'polyglossia': '', 'babel': ''} if cjk else {}),
    }
    preamble = '\n'.join([
        rf'\renewcommand{{\contentsname}}{{{words(lang)["contents"]}}}',
        # Outputs are set apart from code by a frame and a white ground
        r'\sphinxsetup{verbatimforcewraps=true, verbatimmaxunderfull=2}',
        r'\hypersetup{colorlinks=true, linkcolor=blue!60!black,'
        r' urlcolor=blue!60!black}'])
    return '\n'.join([
        '',
        '# builder/tools/pdf.py: one framework, one language',
        "latex_engine = 'xelatex'",
        # Sphinx picks jsbook for Japanese, a class for platex only
        "latex_docclass = {'manual': 'report', 'howto': 'article'}",
        f'latex_documents = [(master_doc, {name + ".tex"!r}, '
        f'{f"{title} ({label})"!r}, author, "manual")]',
        'latex_logo = None',
        # No build date on the title page: two builds write the same PDF
        "today = ' '",
        f'latex_elements.update({elements!r})',
        f"latex_elements['preamble'] += {preamble!r}",
        KNOWN_WARNINGS])


# Sphinx warns that Babel has no option for Korean even when Babel is not
# loaded (xeCJK sets the text); every other warning still fails the build
KNOWN_WARNINGS = '''
import logging as _logging
for _name in ('sphinx.sphinx.builders.latex', 'sphinx.sphinx.writers.latex'):
    _logging.getLogger(_name).addFilter(
        lambda record: 'no Babel option known' not in record.getMessage())
'''


class LatexError(RuntimeError):
    """XeLaTeX stopped; the message is its error and the line."""


def latex_error(log):
    """The first error of a LaTeX log: file:line: message."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith('! ') or re.match(r'^\S+:\d+: ', line):
            return line.strip()
    return lines[-1] if lines else 'no log was written'



def pages_of(log):
    found = re.findall(r'Output written on \S+ \((\d+) pages?', log)
    return int(found[-1]) if found else None


def build(tab, lang):
    tik = time.time()
    name = pdf_name(tab, lang)
    site = Site(lang)
    work = BUILD / 'latex' / name
    rst, tex = work / 'rst', work / 'tex'
    recorded = state.load()
    notebooks = {page: notebook_of(page, tab, recorded)
                 for page in site.pages()}
    wanted = set()
    for page, nb in notebooks.items():
        for rel, data in to_rst(nb, site.local(page)).items():
            write_if_changed(rst / rel, data)
            wanted.add(rst / rel)
    for old in rst.rglob('*.rst'):
        if old not in wanted:
            old.unlink()
    config = site_config(site)
    config.rst_dir, config.html_dir = str(rst), str(work / 'html')
    prepare_sphinx_env(config)
    for resource in (*config.build['resources'].split(),
                     config.pdf['bibfile']):
        src = ROOT / resource
        if src.is_dir():
            shutil.copytree(src, rst / resource, dirs_exist_ok=True)
        elif src.exists():
            write_if_changed(rst / resource, src.read_bytes())
    conf = rst / 'conf.py'
    conf.write_text(conf.read_text(encoding='utf-8')
                    + latex_settings(tab, lang), encoding='utf-8')
    sphinx = Path(sys.executable).parent / 'sphinx-build'
    cmd = [str(sphinx), '-b', 'latex', '-q', '-W', '--keep-going',
           '-d', str(work / 'doctrees'), '-c', str(rst), str(rst), str(tex)]
    if subprocess.run(cmd).returncode != 0:
        raise LatexError('sphinx-build -b latex failed; see the warnings '
                         'above')
    proc = subprocess.run(
        ['latexmk', '-xelatex', '-g', '-interaction=nonstopmode',
         '-halt-on-error', '-file-line-error', f'{name}.tex'],
        cwd=tex, capture_output=True, text=True,
        # Unwrapped log lines: an error or overfull box on one line each
        # and the same dates in every build, so two builds agree
        env=dict(os.environ, max_print_line='100000',
                 SOURCE_DATE_EPOCH='1767225600', FORCE_SOURCE_DATE='1'))
    log_file = tex / f'{name}.log'
    log = log_file.read_text(encoding='utf-8', errors='replace') \
        if log_file.exists() else proc.stdout + proc.stderr
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / f'{name}.log').write_text(log, encoding='utf-8')
    if proc.returncode != 0 or not (tex / f'{name}.pdf').exists():
        raise LatexError(latex_error(log))
    target = state.pdf_file(tab, lang)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tex / f'{name}.pdf', target)
    return {'pdf': str(target.relative_to(ROOT)),
            'pages': pages_of(log), 'seconds': round(time.time() - tik, 1)}


def main():
    args = arguments(__doc__.splitlines()[0])
    lang = args.langs[0] if args.langs else ''
    tab = args.tabs[0]
    where = str(state.pdf_file(tab, lang).relative_to(ROOT))
    try:
        emit(**build(tab, lang))
    except StaleBuild as error:
        emit(pdf=where, error=f'refusing to build: {error}')
        sys.exit(1)
    except LatexError as error:
        emit(pdf=where, error=str(error))
        sys.exit(1)


if __name__ == '__main__':
    main()

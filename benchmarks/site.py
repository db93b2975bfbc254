"""How heavy the built site is: on disk, and for a reader's first visit.

Run by hand, from the repository root, after `make html`:

    python3 benchmarks/site.py [_build/html]

It prints the size of the site on disk and its number of files, without
the downloads (the notebooks, their zips, PDFs, wheels), which it lists
apart; then, for every page of every language, the bytes a first visit
fetches: the page, the stylesheets, scripts and images it names, and
what those stylesheets name (fonts, images). That is an upper bound of
what a browser fetches (a font is counted even if no text uses it);
tests/test_browser.py measures a real load of one page per language.
Standard library only, like the build driver.
"""
import re
import sys
from pathlib import Path
from urllib.parse import unquote

REPO = Path(__file__).resolve().parent.parent
DOWNLOADS = ('.ipynb', '.zip', '.pdf', '.whl')
# What a page loads on its own: scripts, stylesheets, images, icons
PAGE_LOADS = re.compile(
    r'<(?:script|img)\b[^>]*\bsrc="([^"#?:]+)"|'
    r'<link\b[^>]*\brel="(?:stylesheet|shortcut icon|icon)"[^>]*'
    r'\bhref="([^"#?:]+)"|'
    r'<link\b[^>]*\bhref="([^"#?:]+)"[^>]*\brel="stylesheet"')
CSS_LOADS = re.compile(r'url\(\s*[\'"]?([^\'")#?:]+)')


def is_download(path, site):
    parts = path.relative_to(site).parts
    return 'notebooks' in parts or path.suffix in DOWNLOADS


def first_load(page):
    """Bytes of the page and of every file it makes the browser fetch."""
    seen, todo = set(), [page.resolve()]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        text = path.read_text(encoding='utf-8', errors='replace')
        if path.suffix == '.html':
            refs = [r for group in PAGE_LOADS.findall(text)
                    for r in group if r]
        elif path.suffix == '.css':
            refs = CSS_LOADS.findall(text)
        else:
            refs = []
        todo += [(path.parent / unquote(r)).resolve() for r in refs]
    return sum(p.stat().st_size for p in seen), len(seen)


def main():
    site = Path(sys.argv[1] if len(sys.argv) > 1 else
                REPO / '_build' / 'html').resolve()
    files = [p for p in site.rglob('*') if p.is_file()]
    kept = [p for p in files if not is_download(p, site)]
    downloads = [p for p in files if is_download(p, site)]
    size = sum(p.stat().st_size for p in kept)
    print(f'site {site}: {size / 1e6:.2f} MB in {len(kept)} files '
          '(downloads not counted)')
    for folder in sorted({p.relative_to(site).parts[0] for p in kept
                          if len(p.relative_to(site).parts) > 1}):
        part = [p for p in kept if p.relative_to(site).parts[0] == folder]
        print(f'  {folder + "/":<28}{sum(p.stat().st_size for p in part) / 1e6:>8.2f} MB'
              f'{len(part):>7} files')
    print(f'downloads: {sum(p.stat().st_size for p in downloads) / 1e6:.2f}'
          f' MB in {len(downloads)} files')
    for kind in DOWNLOADS:
        some = [p for p in downloads if p.suffix == kind]
        if some:
            print(f'  {kind:<28}{sum(p.stat().st_size for p in some) / 1e6:>8.2f} MB'
                  f'{len(some):>7} files')
    print(f'\n{"first load of each page":<52}{"KB":>8}{"files":>7}')
    pages = sorted(p for p in kept if p.suffix == '.html'
                   and '_static' not in p.relative_to(site).parts)
    for page in pages:
        weight, count = first_load(page)
        print(f'  {page.relative_to(site).as_posix():<50}'
              f'{weight / 1e3:>8.0f}{count:>7}')


if __name__ == '__main__':
    main()

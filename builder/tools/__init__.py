"""The steps that run inside the tools environment.

Everything here imports d2lbook, nbformat, nbclient or Sphinx, so it runs
only in the tools environment, started by the driver (builder.pipeline)
as ``<tools python> -m builder.tools.STEP [--tabs A,B] [--langs X,Y]``:

- prepare: regenerate d2l's generated part, select each framework's cells
- kernels: the executor, serving builder.worker's protocol
- localize: translated notebooks with the English outputs
- html: merge the frameworks of each page, rst, Sphinx, downloads
- lib: check or regenerate d2l's generated part on its own

Each prints one JSON line per thing it did, for the driver to read. The
modules outside this folder are standard library only, and these may
import them, never the reverse.
"""
import argparse
import json
import logging
import os
import sys

from builder import book


def arguments(description, **extra):
    """Every step's options, parsed alike: --tabs, --langs and extras
    given as name=help (flags)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--tabs', default=','.join(book.tabs()))
    parser.add_argument('--langs', default='')
    for name, text in extra.items():
        parser.add_argument('--' + name.replace('_', '-'),
                            action='store_true', help=text)
    args = parser.parse_args()
    args.tabs = [t for t in args.tabs.split(',') if t]
    args.langs = [lang for lang in args.langs.split(',') if lang]
    # d2lbook logs every notebook it reads at INFO
    logging.disable(logging.INFO)
    return args


def emit(**message):
    """Tell the driver one thing, as a JSON line."""
    print(json.dumps(message), flush=True)


# What a step works on now (a page, a framework, a site), for its message
CONTEXT = {'what': ''}


def working_on(what):
    CONTEXT['what'] = what


def run_step(name, main):
    """Run a step's main; an error ends it with one line naming what it
    was working on, not a traceback (unless the build runs with --debug).
    """
    try:
        main()
    except KeyboardInterrupt:
        raise SystemExit(130)
    except Exception as error:
        if os.environ.get(book.DEBUG):
            raise
        what = f' {CONTEXT["what"]}' if CONTEXT['what'] else ''
        print(f'[{name}] FAILED{what}: {type(error).__name__}: {error}',
              file=sys.stderr, flush=True)
        raise SystemExit(1)

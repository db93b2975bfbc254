"""The command line: ``python3 -m builder COMMAND [options]``.

Each command has its own options; ``python3 -m builder COMMAND --help``
lists them. Standard library only: it runs on the system Python and
leaves the work to builder.pipeline.
"""
import argparse
import os
import sys
from pathlib import Path

from builder import book, envs, pipeline, translations

COMMANDS = {
    'lint': 'check the Markdown of every page and translation (no '
            'environment needed)',
    'envs': 'create the environments that are missing',
    'lib': 'regenerate the generated part of d2l/<framework>.py from the '
           '#@save cells (--check: only report)',
    'plan': 'list the notebooks the next build would prepare, and how; '
            'changes nothing',
    'why': 'say whether, and why, the next build would redo a notebook',
    'eval': 'lint, envs, then execute what changed, in every framework, '
            'and give the translations their outputs',
    'html': 'eval, then the tabbed HTML: _build/html, _build/html/<lang>',
    'pdf': 'eval, then one PDF per framework and language: _build/pdf',
    'all': 'eval, the HTML, then the PDFs',
    'test': 'fast tests, the whole build, then the tests of its outputs',
    'translations': 'list stale translations with the English diff to '
                    'translate (--accept: mark one current)',
    'python': "print the Python of an environment (a framework, "
              f"'{envs.TOOLS}' or '{envs.RAY}')",
}


def chosen(raw, known, kind, empty=()):
    """The comma-separated names of raw, each one of known; 'all' is
    every one, and the words in empty none."""
    names = known if raw == 'all' else [] if raw in empty else [
        name.strip() for name in raw.split(',') if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise argparse.ArgumentTypeError(
            f'unknown {kind} {", ".join(unknown)}; config.ini has '
            f'{", ".join(known)}')
    return names


def frameworks(raw):
    return chosen(raw or 'all', book.tabs(), 'framework(s)')


def languages(raw):
    return chosen(raw, book.languages(), 'language(s)', ('none', ''))


def parser():
    top = argparse.ArgumentParser(
        prog='python3 -m builder',
        description="Build and test the Builders' Guide. "
        "`python3 -m builder COMMAND --help` lists a command's options.")
    top.add_argument('--debug', action='store_true',
                     help='show the traceback of an error in the build '
                     'itself, instead of its one-line message')
    sub = top.add_subparsers(dest='command', metavar='COMMAND',
                             required=True)
    cmd = {name: sub.add_parser(name, help=text, description=text)
           for name, text in COMMANDS.items()}
    for name in ('envs', 'plan', 'eval', 'html', 'pdf', 'all', 'test'):
        cmd[name].add_argument('--tabs', type=frameworks, default='all',
                               help='comma-separated frameworks, or all')
    for name in ('eval', 'html', 'pdf', 'all', 'test'):
        cmd[name].add_argument('--langs', type=languages, default='all',
                               help='translations to build: comma-separated,'
                               ' all, or none (English is always built)')
    for name in ('eval', 'html', 'pdf', 'all'):
        cmd[name].add_argument('--jobs', type=int, default=0,
                               help='notebooks executed at once (default: '
                               'the number of cores)')
        cmd[name].add_argument('--executor', choices=['local', 'ray'],
                               default='local',
                               help='where notebooks execute: here (local)'
                               ', or as Ray tasks on an existing cluster')
        cmd[name].add_argument('--ray-address', metavar='HOST:PORT',
                               default='',
                               help="with --executor ray: the cluster's "
                               'head (its GCS address)')
        cmd[name].add_argument('--gpu', action='store_true',
                               help='with --executor ray: run the pages '
                               'that set gpus = 1 in config.ini on GPU '
                               'nodes')
    cmd['lib'].add_argument('--check', action='store_true',
                            help='only report modules that differ; exit 1')
    cmd['why'].add_argument('page', help='a page, e.g. '
                            'chapter_builders-guide/parameters.md')
    cmd['why'].add_argument('tab', type=lambda t: frameworks(t)[0],
                            help='its framework')
    cmd['translations'].add_argument('--accept', metavar='PAGE',
                                     help='mark PAGE as translating the '
                                     'current English page')
    cmd['translations'].add_argument('--reason', default='',
                                     help='with --accept: why no '
                                     'translation was needed')
    cmd['python'].add_argument('name', nargs='?', default=envs.TOOLS,
                               help=f'a framework, {envs.TOOLS!r} or '
                               f'{envs.RAY!r} (the tools and Ray)')
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    if args.debug:
        os.environ[book.DEBUG] = '1'
    run = globals()['command_' + args.command]
    try:
        run(args)
    except envs.EnvError as error:
        sys.exit(f'[env] {error}')
    except pipeline.Interrupted as stop:
        print(stop.code, file=sys.stderr, flush=True)
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit('[build] interrupted; what was left half-done is redone by '
                 'the next build')
    except Exception as error:
        if args.debug:
            raise
        sys.exit(f'[build] {args.command} failed: {type(error).__name__}: '
                 f'{error} (run `python3 -m builder --debug '
                 f'{args.command} ...` for the traceback)')


def command_lint(args):
    pipeline.stage_lint()


def command_envs(args):
    pipeline.stage_envs(envs.names(args.tabs))


def command_lib(args):
    pipeline.stage_envs([envs.TOOLS])
    sys.exit(pipeline.run_tool('lib', *(['--check'] if args.check else [])))


def command_plan(args):
    import json
    print(json.dumps(pipeline.plan(args.tabs)))


def command_why(args):
    print('\n'.join(pipeline.why(args.page, args.tab)))


def executor(args):
    """The build's options for where notebooks execute."""
    if args.executor == 'ray' and not args.ray_address:
        sys.exit('[cluster] --executor ray needs --ray-address HOST:PORT '
                 '(RAY_ADDRESS=HOST:PORT with make)')
    return {'workers': args.jobs, 'gpu': args.gpu,
            'ray_address': args.ray_address if args.executor == 'ray'
            else None}


def command_eval(args):
    pipeline.build(args.tabs, args.langs, html=False, **executor(args))


def command_html(args):
    pipeline.build(args.tabs, args.langs, **executor(args))


def command_pdf(args):
    pipeline.build(args.tabs, args.langs, html=False, pdf=True,
                   **executor(args))


def command_all(args):
    pipeline.build(args.tabs, args.langs, pdf=True, **executor(args))


def command_test(args):
    pipeline.test(args.tabs, args.langs)


def command_translations(args):
    if args.accept:
        translations.accept(Path(args.accept), args.reason)
        print(f'{args.accept} now translates the current English page')
    elif translations.report():
        sys.exit(1)
    else:
        print('every translation is current')


def command_python(args):
    known = envs.names() + [envs.RAY]
    if args.name not in known:
        sys.exit(f'unknown environment {args.name!r}; there are '
                 f'{", ".join(known)}')
    print(envs.ensure(args.name))

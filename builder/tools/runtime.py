"""The distributions that some top-level modules need, as one environment
has them installed.

``<framework python> -m builder.tools.runtime MODULE...`` runs in a
framework's environment (not the tools one: it reads that environment's
own metadata, with importlib.metadata and packaging only) and prints one
JSON line: ``{"dists": {name: version}, "unknown": [module...]}``. The
dists are the distributions that provide the modules and, recursively,
every requirement of theirs whose marker holds on this machine (extras
only where a requirement asks for them). builder.downloads turns them
into a reader's requirements.txt.
"""
import json
import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def providers(modules):
    """The distributions that install each module; modules none installs
    (and that are not the standard library's) come back as unknown."""
    owners = metadata.packages_distributions()
    dists, unknown = set(), []
    for module in modules:
        if module in sys.stdlib_module_names:
            continue
        if module in owners:
            dists.update(canonicalize_name(d) for d in owners[module])
        else:
            unknown.append(module)
    return dists, unknown


def closure(roots):
    """The roots and everything they require here, with their versions."""
    todo = [(name, frozenset()) for name in sorted(roots)]
    seen, found = set(), {}
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = metadata.distribution(name)
        found[canonicalize_name(dist.metadata['Name'])] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            wanted = [{'extra': extra} for extra in ('', *sorted(extras))]
            if req.marker and not any(req.marker.evaluate(env)
                                      for env in wanted):
                continue
            todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return found


def main():
    roots, unknown = providers(sys.argv[1:])
    print(json.dumps({'dists': closure(roots), 'unknown': unknown},
                     sort_keys=True), flush=True)


if __name__ == '__main__':
    main()

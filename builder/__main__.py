"""``python3 -m builder``: see builder.cli, or run it with --help."""
from builder.cli import main

main()

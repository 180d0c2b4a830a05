"""``python -m gasunion.cli`` runs the ``gasunion`` command line."""

from gasunion.cli import main

main()

"""The multi-party coordination service: shippers nominate, operators match, everyone sees
only their own data (``gasunion serve``; see ``docs/service.md``).

Needs the ``service`` extra: ``pip install 'gasunion[service]'``.
"""

"""``python -m gate_service``: the same as the ``gate-service`` command."""

from gate_service.cli import main

main()

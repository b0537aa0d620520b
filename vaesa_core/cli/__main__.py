"""Allow ``python -m vaesa_core.cli``."""

from vaesa_core.cli.main import main

main()

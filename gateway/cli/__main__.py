"""`python -m gateway.cli`: the same command as `gateway`."""

import sys

from gateway.cli.command import main

sys.exit(main())

"""`python -m dyncore ...`: the `dyncore` command."""
import sys

from dyncore.cli import main

sys.exit(main())

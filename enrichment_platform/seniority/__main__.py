"""`python -m enrichment_platform.seniority serve ...`: the same command line as `seniority-model`."""

import sys

from enrichment_platform.seniority.cli import main

sys.exit(main())

"""`python -m linux_auditd_at` is the same as the `linux-auditd-at` console script."""

import sys

from linux_auditd_at.console import main

sys.exit(main())

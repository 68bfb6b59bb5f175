"""``python -m course_lib.train <task>``: see :mod:`course_lib.train.cli`."""

from course_lib.train.cli import main

raise SystemExit(main())

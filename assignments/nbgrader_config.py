"""nbgrader configuration of the course; this folder is the course root.

Everything lives in :func:`course_lib.grading.pipeline.course_config` (shared with the Python API used by
``python -m course_lib.grading``): the ignore list, the sandboxed autograde preprocessors, the feedback
redaction of hidden tests.
"""

import os

from course_lib.grading.pipeline import course_config

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file
c.merge(course_config(os.path.dirname(os.path.abspath(__file__))))

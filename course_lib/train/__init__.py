"""One-command training pipelines of the course: ``python -m course_lib.train <task> [options]``.

Tasks (see :data:`course_lib.train.cli.TASKS`): ``char_lm`` (character LSTM LM on Tiny Shakespeare) and
``sentiment_lm`` (byte-level LSTM LM on IMDB reviews, then the search for a sentiment unit, Radford et al.,
2017); ``sentiment_word_lm`` (:mod:`course_lib.train.sentiment_words`: a word-level LSTM LM on whole IMDB reviews,
the one whose sentiment unit emerges on a CPU, with its emergence curve). ``python -m course_lib.train --help``
lists the options; :mod:`course_lib.train.cli` documents the files a run writes. The shipped results load with
:func:`course_lib.checkpoints.load_shipped`.
"""

from course_lib.checkpoints import load_shipped
from course_lib.train.cli import TASKS, LMConfig, lm_loss, main, run

__all__ = ["TASKS", "LMConfig", "lm_loss", "load_shipped", "main", "run"]

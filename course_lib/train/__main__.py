"""``python -m course_lib.train <task> [options]``: every model of the course, trained by one command each.

Language models (:mod:`course_lib.train.cli`): ``char_lm``, ``sentiment_lm``; the word-level LM whose sentiment
unit emerges (:mod:`course_lib.train.sentiment_words`): ``sentiment_word_lm``. Sequence labelling
(:mod:`course_lib.tasks.tagging`): ``upos_softmax``, ``upos_crf``, ``ner_crf``, ``ner_wnut_crf``. IMDB
(:mod:`course_lib.tasks.imdb`, its task names prefixed with ``imdb_``): ``imdb_baselines``, ``imdb_lm``,
``imdb_lstm``, ``imdb_lstm_pretrained``. ``python -m course_lib.train <task> --help`` lists a task's options.
"""

import sys

from course_lib.tasks import imdb, tagging
from course_lib.train import cli, sentiment_words


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    task = argv[0] if argv else ""
    if task in tagging.TASKS:
        tagging.main(argv)
        return 0
    if task.startswith("imdb_") and task[len("imdb_"):] in imdb.TASKS:
        imdb.main([task[len("imdb_"):], *argv[1:]])
        return 0
    if task == "sentiment_word_lm":
        return sentiment_words.main(argv[1:])
    if task in cli.TASKS or task.startswith("-"):
        return cli.main(argv)
    every = [*cli.TASKS, "sentiment_word_lm", *tagging.TASKS, *(f"imdb_{t}" for t in imdb.TASKS)]
    print(f"python -m course_lib.train: error: invalid choice: {task!r} (choose from {', '.join(every)})",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

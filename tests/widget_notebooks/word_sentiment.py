# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The word LM's sentiment view (browser test)
# Opened by `tests/test_widgets_browser.py`: the view of Lecture 7, with the shipped word LM, its record, and the
# same 40 IMDB test reviews (the data come from `COURSE_DATA_MIRROR` or the download cache).

# %%
import json

from IPython.display import display

from course_lib.checkpoints import CHECKPOINT_DIR
from course_lib.data import load_imdb_splits
from course_lib.text_classification import balanced_subset
from course_lib.train.sentiment_words import load_word_lm
from course_lib.widgets.word_sentiment import word_sentiment_view

word_lm, word_vocab, _ = load_word_lm()
record = json.loads((CHECKPOINT_DIR / "sentiment_word_unit.json").read_text())
rows = balanced_subset(load_imdb_splits(("test",))["test"], 200, 2)[:40]    # as Lecture 7's lstm_sub[:40]
print(f"RECORD_UNIT={record['unit']}")
print(f"RECORD_CLAMP={record['generation']['clamp_positive']:.2f}")
display(word_sentiment_view(word_lm, word_vocab, record, [t for t, _ in rows], [y for _, y in rows]))

# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Cell-activation viewer and sentiment neuron (browser test)
# Opened by `tests/test_widgets_browser.py`, which sets `WIDGET_TEST_CHECKPOINT` (a character LSTM checkpoint)
# and `WIDGET_TEST_TEXT` (a text file) in the kernel's environment.

# %%
import os
from pathlib import Path

import torch
from IPython.display import display

from course_lib.models.mlstm import MLSTMLM
from course_lib.widgets import cell_activation_viewer, load_char_lm, load_reviews, sentiment_neuron_view
from course_lib.widgets.activations import feature_values, position_in_line, rank_units, unit_activations

model, vocab = load_char_lm(os.environ["WIDGET_TEST_CHECKPOINT"])
text = Path(os.environ["WIDGET_TEST_TEXT"]).read_text()
# as in Lecture 5: the cell that best tracks the position in the line, and the viewer opened on it
best_unit = rank_units(unit_activations(model, text, vocab), feature_values(position_in_line, text), top=1)[0][0]
print(f"BEST_UNIT={best_unit}")
viewer = cell_activation_viewer(model, vocab, text, unit=best_unit, feature="position in line", page_size=600)
display(viewer)

# %%
torch.manual_seed(0)
mlstm = MLSTMLM(hidden=16, embed=8)  # randomly initialised stand-in for the shipped checkpoint
reviews, labels = load_reviews("sst2", "dev", n=40)
display(sentiment_neuron_view(mlstm, 3, reviews, labels, length=80))

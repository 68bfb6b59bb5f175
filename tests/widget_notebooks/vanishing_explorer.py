# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vanishing-gradient explorer (browser test)
# Opened by `tests/test_widgets_browser.py`: drag the sliders, the figure must change.

# %%
from IPython.display import display

from course_lib.widgets import vanishing_gradient_explorer

explorer = vanishing_gradient_explorer(cells=("tanh", "lstm", "gru"), T=60, H=32, radius=1.0)
display(explorer)

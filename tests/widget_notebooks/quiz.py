# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Check-your-understanding questions (browser test)
# Opened by `tests/test_widgets_browser.py`: two questions with the longest choices of the bank, as a lecture
# asks them.

# %%
from course_lib.exercise_bank import lookup
from course_lib.exercises import ask

KEYS = ("l7.q.random_dir", "l1.q.generate")
for key in KEYS:  # what the test needs to know, printed as a lecture would never do
    item = lookup(key)
    print(f"QUIZ {key} RIGHT={item.choices[item.letters().index(item.correct)]}")
    print(f"QUIZ {key} WRONG={next(c for c in item.choices if c != item.choices[item.letters().index(item.correct)])}")
ask(*KEYS)

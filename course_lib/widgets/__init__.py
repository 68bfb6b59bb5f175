"""The course's two interactive widgets, each with its pure compute functions kept apart from the widget layer.

* Vanishing-gradient explorer (deck 000 Part 2-3; Pascanu et al. 2013): :func:`vanishing_gradient_explorer`,
  compute in :mod:`course_lib.widgets.gradients` (NumPy reference only).
* Cell-activation viewer and sentiment neuron (deck 000 Part 3 and 5; Karpathy et al. 2015; Radford et al. 2017):
  :func:`cell_activation_viewer`, :func:`sentiment_neuron_view`, compute in :mod:`course_lib.widgets.activations`.

Every widget function returns a live ipywidgets 8 widget in JupyterLab, and a static figure/HTML
(:class:`StaticView`) when run headless (``NBGRADER_EXECUTION`` set, ``COURSE_WIDGETS_STATIC=1``, no kernel) or
with ``static=True``, so that notebooks execute top to bottom in CI and under nbgrader.
"""

from course_lib.widgets._display import StaticView, is_headless
from course_lib.widgets.vanishing import VanishingGradientExplorer, explorer_panels, vanishing_gradient_explorer
from course_lib.widgets.viewer import (
    CellActivationViewer,
    SentimentNeuronView,
    cell_activation_viewer,
    compile_feature,
    draw_class_histogram,
    load_char_lm,
    load_reviews,
    sentiment_histogram,
    sentiment_neuron_view,
)

__all__ = [
    "CellActivationViewer", "SentimentNeuronView", "StaticView", "VanishingGradientExplorer",
    "cell_activation_viewer", "compile_feature", "draw_class_histogram", "explorer_panels", "is_headless",
    "load_char_lm", "load_reviews", "sentiment_histogram", "sentiment_neuron_view", "vanishing_gradient_explorer",
]

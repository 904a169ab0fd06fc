"""The screening question.

A test for a disease is tried on 100 subjects; 1 in 20 of them has the
disease, and the test classifies 96% of the subjects correctly. What can
precision and recall be? Answer with fractions (0.25, not 25), computed with
your metrics.precision_bounds and metrics.recall_bounds.
"""

from metrics import precision_bounds, recall_bounds

SUBJECTS = 100
PREVALENCE = 1 / 20
ACCURACY = 0.96

WORST_PRECISION = None
BEST_PRECISION = None
# YOUR ANSWER HERE (hint: positives = SUBJECTS * PREVALENCE and errors = SUBJECTS * (1 - ACCURACY), rounded to ints; call precision_bounds)

WORST_RECALL = None
BEST_RECALL = None
# YOUR ANSWER HERE (hint: call recall_bounds with the same counts)

ALL_NEGATIVE_ACCURACY = None
# YOUR ANSWER HERE (hint: answering healthy for everyone is right on every healthy subject)

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
### BEGIN SOLUTION hint: positives = SUBJECTS * PREVALENCE and errors = SUBJECTS * (1 - ACCURACY), rounded to ints; call precision_bounds
POSITIVES = round(SUBJECTS * PREVALENCE)
ERRORS = round(SUBJECTS * (1 - ACCURACY))
WORST_PRECISION, BEST_PRECISION = precision_bounds(SUBJECTS, POSITIVES, ERRORS)
### END SOLUTION

WORST_RECALL = None
BEST_RECALL = None
### BEGIN SOLUTION hint: call recall_bounds with the same counts
WORST_RECALL, BEST_RECALL = recall_bounds(SUBJECTS, POSITIVES, ERRORS)
### END SOLUTION

ALL_NEGATIVE_ACCURACY = None
### BEGIN SOLUTION hint: answering healthy for everyone is right on every healthy subject
ALL_NEGATIVE_ACCURACY = (SUBJECTS - POSITIVES) / SUBJECTS
### END SOLUTION

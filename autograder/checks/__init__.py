"""The kinds of check, independent of any assignment.

gradient  GradientCheck: backward against the reference's, with numerical diagnostics
values    ValueCheck: outputs against the reference's after type/dtype/shape checks,
          with named slips and edge-case hints
cases     CasesCheck: small exact values (sizes, counts) on many inputs, partial credit per case
raises    RaisesCheck: calls without a valid answer raise the right exception
schedule  ScheduleCheck: a function of the step t over many steps, with off-by-one named
trajectory TrajectoryCheck: a stateful update rule run for several steps, compared step by step
tables    TableCheck: tables cell by cell with partial credit
answers   AnswerCheck: stated numbers with a tolerance and unit hints
accuracy  AccuracyCheck: training in the sandbox, accuracy measured by the grader
trained_model  ModelBuildCheck, CheckpointCheck, HeldOutAccuracyCheck, TrainingBudgetCheck: a model
          the student builds and trains (a6), its labels, clocks and scores kept in the grader
state     checked_state: model weights from the worker, checked before use
property  BatchMeanCheck, LinearInDoutCheck, NoInPlaceCheck, PropertyCheck

Any check can name the earlier checks it ``requires`` (a property of a function
is worth points only once the function's values are right); the rubric's
``dependencies`` is the resulting graph. Calls into the sandbox carry a reply
budget (``Call.max_bytes``, from ``reply_budget(expected)``), so a reply far
larger than the right answer is never read.
"""

from autograder.checks.accuracy import AccuracyCheck
from autograder.checks.answers import AnswerCheck
from autograder.checks.base import Args, Check, Context
from autograder.checks.cases import CasesCheck
from autograder.checks.gradient import GradientCheck
from autograder.checks.properties import BatchMeanCheck, LinearInDoutCheck, NoInPlaceCheck, PropertyCheck
from autograder.checks.raises import RaisesCheck
from autograder.checks.schedule import ScheduleCheck
from autograder.checks.tables import TableCheck
from autograder.checks.trajectory import TrajectoryCheck
from autograder.checks.values import ValueCheck

__all__ = ["AccuracyCheck", "AnswerCheck", "Args", "BatchMeanCheck", "CasesCheck", "Check", "Context",
           "GradientCheck", "LinearInDoutCheck", "NoInPlaceCheck", "PropertyCheck", "RaisesCheck",
           "ScheduleCheck", "TableCheck", "TrajectoryCheck", "ValueCheck"]

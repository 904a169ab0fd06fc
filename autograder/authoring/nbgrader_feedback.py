"""Feedback that shows how a hidden test went but not what it is.

``nbgrader generate_feedback`` renders the autograded notebook, in which the
hidden-test regions are back in place. nbgrader's own ClearHiddenTests removes
them from the cells' source, but an error's traceback quotes the lines of the
cell around the failing call. This preprocessor, run before ClearHiddenTests
(the course's nbgrader_config.py sets the order), reduces the tracebacks of
cells with hidden tests to the error's type and message, which is the
feedback a student should get.
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from autograder.authoring.nbgrader_cells import HIDDEN_BEGIN


class ShortenHiddenTestTracebacks(Preprocessor):
    """Error outputs of cells holding a hidden-test region keep only 'Type: message'."""

    enabled = Bool(True, help="nbconvert runs only enabled preprocessors").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and HIDDEN_BEGIN in cell.source:
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources

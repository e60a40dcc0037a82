"""nbgrader configuration of the book's exercise course (the course directory is this folder).

    cd exercises && nbgrader generate_assignment 01_vanilla_rnn --force   # source/ -> release/

Grading does not run `nbgrader autograde` in this folder: `python exercises/grade.py` grades
each submission in an isolated temporary copy (see README.md, "Threat model"). The limits
below are the ones grade.py uses too, so a plain nbgrader run behaves the same.
"""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "rnn-from-scratch"
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
# The gradebook is instructor state, never committed (exercises/.gitignore).
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.enforce_metadata = True
c.GenerateAssignment.create_assignment = True

# Time limits for execution: per cell (the longest exercise cell takes seconds; a loop that
# never ends is interrupted) and per notebook (grade.py enforces that one).
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 60
c.Execute.execute_retries = 0
# Output limits, so a print loop cannot flood the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 50

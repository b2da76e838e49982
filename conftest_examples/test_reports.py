"""A program that is absent here: sqlglot is not installed by the examples, its model replays.

Where sqlglot is installed at the declared version the same tests run too; the summary says
which. Answers the model is not sure of would be refused without the program (`on_uncertain`
defaults to "error" there): record them once where it is installed, `--modelizer-mode record`.
"""
import pytest

from notes.reports import weekly_statements


@pytest.mark.modelize("sqlglot-tsql", patch="notes.reports.to_tsql")
def test_weekly_report_for_sql_server():
    assert weekly_statements() == {
        "top_users": "SELECT TOP 5 name FROM users WHERE age > 21",
        "shipped": "SELECT COUNT_BIG(*) FROM orders WHERE status = 'shipped'",
        "recent_posts": "SELECT TOP 10 id, title FROM posts ORDER BY created DESC",
    }


@pytest.mark.modelize("sqlglot-tsql")
def test_the_model_knows_when_it_is_sure(mock_program):
    sure = mock_program.predict("SELECT name FROM users")
    assert sure.confident and sure.confidence >= mock_program.info.threshold
    # Keywords in any case read alike: this is the query above.
    assert mock_program.predict("select name from users").confident
    # Deeper than training inputs go (a subquery three levels down): the model's confidence falls
    # below the threshold calibrated for 99 % exact, so the answer is not trusted, right or not.
    unsure = mock_program.predict("SELECT name FROM users WHERE name IN (SELECT name FROM (SELECT name FROM "
                                  "(SELECT name FROM users)))")
    assert not unsure.confident and unsure.confidence < mock_program.info.threshold

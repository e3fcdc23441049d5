"""The producer dashboard with 500 projects vs with 5: the same queries, whatever the number of projects.

Both producers' projects have milestones, members and messages; the two dashboards are computed
interleaved in one process, on one SQLite file, through the service the page calls.
"""

from __future__ import annotations

from bench.common import Result, interleaved, summary_ms, temporary_app
from studio_app.services import dashboards, projects
from tests.support.projects import add_editor, call, in_days, new_project, person
from tests.support.threads import bulk_messages

ROUNDS = 60
TARGET = 1.5


def producer_with(settings, count: int, editor) -> object:
    producer = person(settings, f"producer{count}@example.com", name=f"Producer {count}")
    for number in range(count):
        project = new_project(producer, f"Project {number}", deadline=in_days(1 + number % 60))
        call(projects.add_milestone, producer, project.id, f"Milestone {number}", in_days(1 + number % 30),
             producer.user_id)
        if number % 10 == 0:
            add_editor(producer, editor, project.id)
            bulk_messages(project.id, [editor.user_id], 20)
    return producer


def run() -> Result:
    with temporary_app():
        from studio_app.settings import current_settings

        settings = current_settings()
        editor = person(settings, "editor@example.com", role="editor", name="Shared Editor")
        few, many = producer_with(settings, 5, editor), producer_with(settings, 500, editor)
        assert sum(call(dashboards.producer_dashboard, many).projects_by_stage.values()) == 500
        measured, peer = interleaved(ROUNDS, lambda: call(dashboards.producer_dashboard, many),
                                     lambda: call(dashboards.producer_dashboard, few))
    many_summary, few_summary = summary_ms(measured), summary_ms(peer)
    return Result(
        name="dashboard_scale",
        measured=many_summary["p50_ms"],
        peer=few_summary["p50_ms"],
        target=TARGET,
        unit="ms (p50)",
        details={"projects": {"measured": 500, "peer": 5}, "dashboard_500": many_summary, "dashboard_5": few_summary},
    )

"""What `make run` prints: no warning from registering the pages twice, no advice from Reflex's new-project command."""


def test_the_served_app_logs_no_page_redefinition_and_no_reflex_advice(app):
    log = app.log.read_text()  # the app answered: its worker loaded the pages (the log is unbuffered)
    assert "App running at" in log
    assert "is being redefined" not in log
    assert "uv run reflex run" not in log

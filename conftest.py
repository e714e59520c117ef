"""Shared pytest fixtures: a real Chromium driven by Playwright, and an axe-core accessibility check.

Browser tests use Debian's Chromium (/usr/bin/chromium). Where it is missing they are skipped with a
visible notice, unless KOMPASS_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into an error.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("KOMPASS_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
REQUIRE_BROWSER = os.environ.get("KOMPASS_REQUIRE_BROWSER") == "1"
_browser_skip_reason: list[str] = []


def _chromium_missing_reason() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed"
    if not AXE_JS.exists():
        return "node_modules/axe-core is missing (npm ci)"
    return None


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests that count on it being used check settings.py directly."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def browser():
    reason = _chromium_missing_reason()
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(f"Browser tests are mandatory here, but {reason}.")
        _browser_skip_reason.append(reason)
        pytest.skip(f"browser test skipped: {reason}")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test body
    # are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab (own cookies) whose relative URLs go to the live test server."""
    context = browser.new_context(base_url=live_server.url, locale="de-DE", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [node["target"] for node in violation["nodes"][:5]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible():
    """Run axe-core with the WCAG 2.1 A and AA rules on the page and fail on any violation."""

    def check(page) -> None:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_JS.read_text(encoding="utf-8"))
        result = page.evaluate(
            """async () => await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                resultTypes: ['violations'],
            })"""
        )
        violations = result["violations"]
        assert not violations, (
            f"axe-core found {len(violations)} WCAG violation(s) on {page.url}:\n"
            + _format_violations(violations)
            + "\n"
            + json.dumps([v["id"] for v in violations])
        )

    return check


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _browser_skip_reason:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", yellow=True, bold=True)
        terminalreporter.write_line(
            f"Browser tests did not run: {_browser_skip_reason[0]}. "
            "Install Debian's chromium to run them (CI does)."
        )

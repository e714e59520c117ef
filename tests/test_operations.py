"""What docs/operations.md promises an operator, tested for real:

* a backup with ``pg_dump --format=custom`` restores with ``pg_restore`` into a fresh database
  with identical content, and Django works on the restored database;
* several application processes (two gunicorn instances with gunicorn.conf.py) against one
  PostgreSQL database share sign-ins: a session cookie from one is valid on the other, also for
  signing out; behind a TLS proxy (BEHIND_TLS_PROXY) X-Forwarded-Proto decides about HTTPS;
* the cache: with REDIS_URL all processes share a Redis cache, without it each has its own
  in-memory cache, and no code relies on the cache for anything that must be shared;
* the background worker: an export queued through one application process is built by a
  separate `manage.py db_worker` process and downloaded through the application again.

The backup and process tests need PostgreSQL (DATABASE_URL); the Redis test a Redis server
(REDIS_URL, default redis://127.0.0.1:6379/15). Without them they are skipped with the reason.
"""

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.db import connection

REPO_ROOT = Path(settings.BASE_DIR)
HOST = "127.0.0.1"

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only (set DATABASE_URL to a PostgreSQL server): backups with pg_dump and "
    "several processes sharing one database are PostgreSQL set-ups; SQLite is for one host.",
)


def _database_url(name: str) -> str:
    """A DATABASE_URL (also a libpq connection URI) for database ``name`` on the test server."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"] or "localhost", "PGPORT": str(db["PORT"] or 5432)}
    if db["USER"]:
        env["PGUSER"] = db["USER"]
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(command: list[str], *, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, (
        f"{' '.join(command)} failed ({completed.returncode}):\n"
        f"{completed.stdout}\n{completed.stderr}"
    )
    return completed.stdout


def _django(code: str, **env: str) -> str:
    """Run Python code with Django set up in a fresh process (settings read from ``env``)."""
    process_env = {
        key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}
    }
    process_env.update({"DJANGO_SETTINGS_MODULE": "kompass.settings", **env})
    script = "import django\ndjango.setup()\n" + code
    return _run([sys.executable, "-c", script], env=process_env)


# --- Backups ----------------------------------------------------------------------------------


def _table_fingerprints(cursor) -> dict[str, tuple[int, str]]:
    """Row count and a checksum over every row's text, per table of the public schema."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    tables = [name for (name,) in cursor.fetchall()]
    fingerprints = {}
    for table in tables:
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "  # noqa: S608 - table names from pg_tables
            f'FROM "{table}" AS t'
        )
        fingerprints[table] = cursor.fetchone()
    return fingerprints


def _sequences(cursor) -> dict[str, int | None]:
    cursor.execute(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
    )
    return dict(cursor.fetchall())


@pytest.fixture
def operational_data(django_db_blocker):
    """Committed rows in the main tables: a catalogue release, a Kommune, a user with a role,
    a department and an implementation record."""
    from kompass.accounts.choices import Role
    from kompass.accounts.tests.factories import DepartmentFactory, UserFactory, grant
    from kompass.catalogue.models import Service
    from kompass.catalogue.services import catalogue_import
    from kompass.implementation.models import Implementation
    from kompass.municipalities.tests.factories import MunicipalityFactory

    release_dir = REPO_ROOT / "src" / "kompass" / "catalogue" / "tests" / "data" / "release_a"
    release = catalogue_import(directory=release_dir, label="Stand für die Sicherung")
    kommune = MunicipalityFactory(name="Lemgo, Alte Hansestadt")
    department = DepartmentFactory(municipality=kommune, name="Bürgerbüro")
    user = UserFactory(username="sicherung", first_name="Grete", last_name="Müller")
    grant(user, Role.MUNICIPALITY_ADMIN, municipality=kommune)
    service = Service.objects.order_by("pk").first()
    record = Implementation.objects.create(
        municipality=kommune,
        service=service,
        department=department,
        notes="Antrag seit März online – „Straßenverkehr“",
    )
    return {"release": release, "user": user, "record": record}


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_fresh_database_with_identical_data(operational_data, tmp_path):
    import psycopg

    for program in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is missing: install the PostgreSQL client tools.")
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restore_{secrets.token_hex(4)}"
    dump = tmp_path / "kompass.dump"
    env = _pg_env()

    # The commands of docs/operations.md, "Backups".
    _run(["pg_dump", "--format=custom", f"--file={dump}", _database_url(source)], env=env)
    _run(["createdb", restored], env=env)
    try:
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={_database_url(restored)}",
                str(dump),
            ],
            env=env,
        )
        with connection.cursor() as cursor:
            before = _table_fingerprints(cursor)
            sequences_before = _sequences(cursor)
        with (
            psycopg.connect(_database_url(restored)) as restored_connection,
            restored_connection.cursor() as cursor,
        ):
            after = _table_fingerprints(cursor)
            sequences_after = _sequences(cursor)
            cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
            extensions = [name for (name,) in cursor.fetchall()]

        assert after == before
        assert sequences_after == sequences_before
        assert "pg_trgm" in extensions
        counts = {table: count for table, (count, _checksum) in after.items()}
        assert counts["catalogue_service"] > 0
        assert counts["municipalities_municipality"] >= 2  # the Kommune and its Kreis
        assert counts["implementation_implementation"] == 1
        assert counts["accounts_user"] == 1
        assert counts["django_migrations"] > 0

        # Django works on the restored database: every migration is recorded, the rows read
        # back as they were written, the password still signs in, and new rows get fresh keys.
        restored_url = _database_url(restored)
        _django(
            "from django.core.management import call_command\n"
            "call_command('migrate', check=True, plan=True, verbosity=0)\n",
            DATABASE_URL=restored_url,
        )
        record, user = operational_data["record"], operational_data["user"]
        output = _django(
            "import json\n"
            "from kompass.accounts.models import User\n"
            "from kompass.catalogue.models import CatalogueRelease\n"
            "from kompass.implementation.models import Implementation\n"
            f"record = Implementation.objects.select_related('department', 'municipality').get("
            f"pk={record.pk})\n"
            "new = User.objects.create_user('nach-der-wiederherstellung', password='x')\n"
            "print(json.dumps({\n"
            "    'notes': record.notes, 'department': record.department.name,\n"
            "    'kommune': record.municipality.name, 'service': record.service_id,\n"
            "    'release': CatalogueRelease.objects.get().label,\n"
            f"    'password': User.objects.get(pk={user.pk}).password,\n"
            "    'new_user_pk': new.pk,\n"
            "}))\n",
            DATABASE_URL=restored_url,
        )
        read_back = json.loads(output.strip().splitlines()[-1])
        assert read_back == {
            "notes": "Antrag seit März online – „Straßenverkehr“",
            "department": "Bürgerbüro",
            "kommune": "Lemgo, Alte Hansestadt",
            "service": record.service_id,
            "release": "Stand für die Sicherung",
            "password": user.password,
            "new_user_pk": read_back["new_user_pk"],
        }
        assert read_back["new_user_pk"] > user.pk
    finally:
        _run(["dropdb", "--if-exists", "--force", restored], env=env)


# --- Several application processes ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Browser:
    """Just enough of a browser for one gunicorn instance: cookies are passed explicitly, every
    request comes "through the TLS proxy" (X-Forwarded-Proto: https) unless told otherwise."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"https://{HOST}:{port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        cookies: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        via_proxy: bool = True,
    ) -> tuple[int, dict[str, str], dict[str, str], str]:
        """Return status, headers, the cookies set, and the body."""
        headers = {"Referer": self.origin + path}
        if via_proxy:
            headers["X-Forwarded-Proto"] = "https"
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        body = None
        if form is not None:
            body = "&".join(f"{quote(k)}={quote(v)}" for k, v in form.items())
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            set_cookies = {}
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie_name, _, rest = value.partition("=")
                    set_cookies[cookie_name] = rest.split(";", 1)[0]
            return (
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                set_cookies,
                response.read().decode("utf-8", "replace"),
            )
        finally:
            conn.close()

    def sign_in(self, username: str, password: str) -> dict[str, str]:
        status, _headers, cookies, body = self.request("GET", "/konto/anmelden/")
        assert status == 200, body[:500]
        token = _csrf_token(body)
        status, _headers, set_cookies, body = self.request(
            "POST",
            "/konto/anmelden/",
            cookies=cookies,
            form={"csrfmiddlewaretoken": token, "username": username, "password": password},
        )
        assert status == 302, body[:2000]
        assert "sessionid" in set_cookies
        return {**cookies, **set_cookies}


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[Browser]:
    """One application process as in production: gunicorn -c gunicorn.conf.py kompass.wsgi."""
    port = _free_port()
    server_env = {
        **env,
        "GUNICORN_BIND": f"{HOST}:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_CONTROL_SOCKET": "off",  # the default path is shared by every gunicorn
        "GUNICORN_ACCESS_LOG": "off",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "kompass.wsgi"]
    with log.open("w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=server_env, stdout=log_file, stderr=subprocess.STDOUT
        )
    browser = Browser(port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if browser.request("GET", "/konto/anmelden/")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, f"gunicorn exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{log.read_text()}"
            time.sleep(0.2)
        yield browser
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _production_env() -> dict[str, str]:
    """The environment of production processes against the test database. What every instance
    behind one proxy shares: the key and the proxy settings."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DEBUG"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "kompass.settings",
            "DATABASE_URL": _database_url(connection.settings_dict["NAME"]),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "BEHIND_TLS_PROXY": "true",
            "SECURE_SSL_REDIRECT": "true",
        }
    )
    return env


def _csrf_token(body: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_application_processes_share_sign_ins(tmp_path):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from kompass.accounts.tests.factories import PASSWORD, UserFactory

    # The test settings hash with MD5 for speed; the servers run the production settings.
    hasher = Argon2PasswordHasher()
    user = UserFactory(username="zwei-prozesse", first_name="Paula", last_name="Prozess")
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    env = _production_env()
    with gunicorn(env, tmp_path / "a.log") as first, gunicorn(env, tmp_path / "b.log") as second:
        # Without X-Forwarded-Proto: https a request counts as plain HTTP and is redirected.
        status, headers, _cookies, _body = second.request("GET", "/konto/", via_proxy=False)
        assert status == 301
        assert headers["location"].startswith("https://")

        status, headers, _cookies, _body = second.request("GET", "/konto/")
        assert status == 302
        assert "/konto/anmelden/" in headers["location"]

        cookies = first.sign_in(user.username, PASSWORD)
        for server in (first, second):
            status, _headers, _cookies, body = server.request("GET", "/konto/", cookies=cookies)
            assert status == 200, body[:500]
            assert "Paula Prozess" in body or user.username in body

        # Signing out on the second process ends the session on the first one too.
        status, _headers, _set, body = second.request("GET", "/konto/", cookies=cookies)
        token = _csrf_token(body)
        status, _headers, _set, _body = second.request(
            "POST", "/konto/abmelden/", cookies=cookies, form={"csrfmiddlewaretoken": token}
        )
        assert status in (200, 302)
        status, headers, _cookies, _body = first.request("GET", "/konto/", cookies=cookies)
        assert status == 302
        assert "/konto/anmelden/" in headers["location"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_worker_process_builds_an_export_queued_through_the_application(tmp_path):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from kompass.accounts.choices import Role
    from kompass.accounts.tests.factories import PASSWORD, UserFactory, grant
    from kompass.municipalities.tests.factories import MunicipalityFactory, ProviderFactory

    members = [MunicipalityFactory(name="Blomberg, Stadt"), MunicipalityFactory(name="Barntrup")]
    provider = ProviderFactory(name="Test-RZ", slug="test-rz")
    provider.members.add(*members)
    hasher = Argon2PasswordHasher()
    user = UserFactory(username="export-betrieb")
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    grant(user, Role.OPERATOR, provider=provider)
    env = _production_env()
    with gunicorn(env, tmp_path / "web.log") as server:
        cookies = server.sign_in(user.username, PASSWORD)
        heatmap = f"/auswertungen/it-dienstleister/{provider.pk}/"
        status, _headers, _set, body = server.request("GET", heatmap, cookies=cookies)
        assert status == 200, body[:500]
        status, headers, _set, body = server.request(
            "POST",
            f"{heatmap}export.csv",
            cookies=cookies,
            form={"csrfmiddlewaretoken": _csrf_token(body)},
        )
        assert status == 302, body[:2000]
        export_page = urlsplit(headers["location"]).path
        status, _headers, _set, body = server.request("GET", export_page, cookies=cookies)
        assert "Wartet auf den Hintergrunddienst" in body

        # The worker as the systemd unit runs it, but only until the queue is empty.
        worker = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay"]
        _run([*worker, "--no-reload"], env=env)

        status, _headers, _set, body = server.request("GET", export_page, cookies=cookies)
        assert "Die Datei ist fertig (2 Zeilen)." in body
        status, headers, _set, body = server.request("GET", f"{export_page}datei", cookies=cookies)
        assert status == 200
        assert headers["content-type"].startswith("text/csv")
        names = {line.split(";")[0] for line in body.lstrip("\ufeff").splitlines()[1:]}
        assert names == {"Blomberg, Stadt", "Barntrup"}


# --- Cache --------------------------------------------------------------------------------------

CACHE_BACKEND = (
    "from django.core.cache import caches\n"
    "backend = type(caches['default'])\n"
    "print(backend.__module__ + '.' + backend.__name__)\n"
)


def test_without_redis_url_each_process_has_its_own_memory_cache():
    output = _django(CACHE_BACKEND)
    assert output.strip() == "django.core.cache.backends.locmem.LocMemCache"


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def test_with_redis_url_all_processes_share_the_redis_cache():
    url = _redis_url()
    if not _redis_reachable(url):
        pytest.skip(f"No Redis server at {url} (set REDIS_URL to test the shared cache).")
    assert _django(CACHE_BACKEND, REDIS_URL=url).strip() == (
        "django.core.cache.backends.redis.RedisCache"
    )
    key, value = f"kompass-test-{secrets.token_hex(8)}", {"Kommune": "Lemgo", "Zahl": 42}
    _django(
        f"from django.core.cache import cache\ncache.set({key!r}, {value!r}, timeout=60)\n",
        REDIS_URL=url,
    )
    # Another process reads what the first one wrote, then removes it.
    output = _django(
        "from django.core.cache import cache\n"
        f"print(repr(cache.get({key!r})))\ncache.delete({key!r})\n"
        f"print(repr(cache.get({key!r}, 'weg')))\n",
        REDIS_URL=url,
    )
    assert output.strip().splitlines() == [repr(value), "'weg'"]


def test_no_code_relies_on_the_cache():
    """Sessions, sign-in lockouts and everything else shared between processes live in the
    database; without REDIS_URL every process has its own cache, so code that needs to share
    state must not use it. If the cache is ever used, make sure it is only an optimisation that
    is correct per process, document it in docs/operations.md, and adjust this test."""
    package = REPO_ROOT / "src" / "kompass"
    users = [
        str(path.relative_to(REPO_ROOT))
        for path in package.rglob("*.py")
        if "tests" not in path.parts
        and path.name != "settings.py"
        and re.search(
            r"django\.core\.cache|cache_page|caches\[",
            path.read_text(encoding="utf-8"),
        )
    ]
    assert users == []
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_gunicorn_freezes_what_the_master_loaded_before_forking():
    import gc
    import runpy

    config = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    try:
        config["pre_fork"](server=None, worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()

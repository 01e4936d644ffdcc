"""`crmtui login` against the real sandbox, and the `--demo` launcher's sandbox subprocess."""

from __future__ import annotations

import asyncio
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backends import fail

from crmtui.config import load_config, resolve_connection
from crmtui import demo
from crmtui.demo import DemoError, demo_sandbox
from crmtui.login import LoginFailed, check_credentials, check_server, run_login
from tests.support.waits import HANG_GUARD, wait_until


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("ONEPAGECRM_USER_ID", "ONEPAGECRM_API_KEY", "CRMTUI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRMTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CRMTUI_DATA_DIR", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def login(sandbox_url: str, text: str, profile: str | None = "work") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_login(profile=profile, base_url=sandbox_url, stdin=io.StringIO(text), stdout=out, stderr=err, env={})
    return code, out.getvalue(), err.getvalue()


# -- login ---------------------------------------------------------------------------------------


def test_login_success_saves_and_activates_the_profile(sandbox) -> None:
    code, out, err = login(sandbox.base_url, f"{sandbox.user_id}\n{sandbox.api_key}\n")
    assert code == 0, err
    assert err.startswith(f"Checking the address {sandbox.base_url}…\nChecking the credentials at {sandbox.base_url}…\n")
    assert out.startswith("Logged in as ") and out.rstrip().endswith("(profile work)")
    assert sandbox.api_key not in out + err
    cfg = load_config()
    assert cfg.active_profile == "work"
    assert cfg.profiles["work"].base_url == sandbox.base_url
    connection = resolve_connection(cfg, env={})
    assert (connection.user_id, connection.api_key, connection.base_url) == (
        sandbox.user_id,
        sandbox.api_key,
        sandbox.base_url,
    )
    config_file = Path(os.environ["CRMTUI_CONFIG_DIR"]) / "config.toml"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600


def test_login_prints_the_users_name(sandbox) -> None:
    main = next(u for u in sandbox.users if u.user_id == sandbox.user_id)
    code, out, _ = login(sandbox.base_url, f"{sandbox.user_id}\n{sandbox.api_key}\n")
    assert code == 0
    assert out == f"Logged in as {main.first_name} {main.last_name} (profile work)\n"


def test_login_wrong_key_is_refused_and_nothing_saved(sandbox) -> None:
    code, out, err = login(sandbox.base_url, f"{sandbox.user_id}\nnot-the-key\n")
    assert code == 1
    assert out == ""
    assert f"wrong user id or API key: the server at {sandbox.base_url} refused them" in err
    assert "Traceback" not in err
    assert load_config().profiles == {}


def test_login_unreachable_server() -> None:
    code, _, err = login("http://127.0.0.1:9/api/v3", "u\nk\n")
    assert code == 1
    assert "cannot reach http://127.0.0.1:9/api/v3" in err


def test_login_throttled(sandbox) -> None:
    sandbox.options.throttle_rate = 1.0
    sandbox.options.retry_after = 0
    code, _, err = login(sandbox.base_url, f"{sandbox.user_id}\n{sandbox.api_key}\n")
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == f"Checking the address {sandbox.base_url}…"  # said before the wait
    assert "throttling" in lines[-1] and sandbox.base_url in lines[-1]


def test_login_malformed_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>captive portal</html>", headers={"content-type": "text/html"})

    with pytest.raises(LoginFailed, match="did not answer like the OnePageCRM API"):
        asyncio.run(check_credentials("u", "k", "https://portal.test/api/v3", transport=httpx.MockTransport(handler)))


def test_login_refuses_plain_http_to_another_machine() -> None:
    """The key would cross the network in clear: refused before it is even asked for."""
    code, _, err = login("http://crm.example.test/api/v3", "u\nk\n")
    assert code == 1
    assert "unencrypted to crm.example.test" in err and "--allow-insecure-http" in err
    assert load_config().profiles == {}


def test_plain_http_to_another_machine_only_when_asked_for() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"status": 401, "message": "Unauthorized"})

    url = "http://crm.example.test/api/v3"
    with pytest.raises(LoginFailed, match="unencrypted"):
        asyncio.run(check_credentials("u", "k", url, transport=httpx.MockTransport(handler)))
    assert seen == []  # nothing was sent
    with pytest.raises(LoginFailed, match="wrong user id or API key"):
        asyncio.run(check_credentials("u", "k", url, transport=httpx.MockTransport(handler), allow_insecure_http=True))
    assert len(seen) == 1


def test_login_rejects_a_base_url_without_scheme() -> None:
    code, _, err = login("localhost:8080/api/v3", "u\nk\n")
    assert code == 1 and "https://" in err


def test_login_command_reads_stdin(sandbox, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEPAGECRM_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    result = subprocess.run(
        [sys.executable, "-m", "crmtui", "login", "--profile", "cli", "--base-url", sandbox.base_url],
        input=f"{sandbox.user_id}\n{sandbox.api_key}\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("(profile cli)\n")
    assert sandbox.api_key not in result.stdout + result.stderr
    assert load_config().active_profile == "cli"


def run_cli(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """The real `crmtui` command, reading the credentials from stdin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEPAGECRM_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return subprocess.run(
        [sys.executable, "-m", "crmtui", *args], input=stdin, capture_output=True, text=True, env=env, timeout=HANG_GUARD,
    )


def test_login_asks_again_after_wrong_credentials(sandbox) -> None:
    result = run_cli(
        "login", "--profile", "again", "--base-url", sandbox.base_url,
        stdin=f"{sandbox.user_id}\nnot-the-key\n\n{sandbox.api_key}\n",  # Enter keeps the user id given before
    )
    assert result.returncode == 0, result.stderr
    assert f"wrong user id or API key: the server at {sandbox.base_url} refused them" in result.stderr
    assert "try again (2 more tries)" in result.stderr
    assert result.stdout.endswith("(profile again)\n")
    assert load_config().profiles["again"].user_id == sandbox.user_id


def test_login_gives_up_after_three_refusals(sandbox) -> None:
    result = run_cli(
        "login", "--base-url", sandbox.base_url, stdin="".join(f"{sandbox.user_id}\nwrong-{i}\n" for i in range(5)),
    )
    assert result.returncode == 1
    assert result.stderr.count(f"Checking the credentials at {sandbox.base_url}") == 3
    assert "try again (2 more tries)" in result.stderr and "try again (1 more try)" in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("crmtui login: wrong user id or API key") and "try again" not in last
    assert "Traceback" not in result.stderr and load_config().profiles == {}


def test_login_checks_the_address_before_asking_for_credentials(sandbox) -> None:
    wrong = sandbox.base_url.replace("/api/v3", "/crm/api/v3")
    result = run_cli("login", "--base-url", wrong, stdin="")  # no credentials typed: never asked for
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Checking the address {wrong}…",
        f"crmtui login: no OnePageCRM API at {wrong} (the server answered 404); check --base-url",
    ]
    result = run_cli("login", "--base-url", "http://127.0.0.1:9/api/v3", stdin="")
    assert result.returncode == 1 and "cannot reach http://127.0.0.1:9/api/v3" in result.stderr
    assert "no input" not in result.stderr


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (httpx.Response(200, text="<html>captive portal</html>", headers={"content-type": "text/html"}),
         "https://portal.test/api/v3 did not answer like the OnePageCRM API"),
        (httpx.Response(401, text="Authorization Required", headers={"content-type": "text/html"}),
         "https://portal.test/api/v3 refused the request, but not as the OnePageCRM API does"),
        (httpx.Response(200, json={"status": 0, "data": {"user": {"id": "u"}}}),
         "https://portal.test/api/v3 answered without asking for credentials"),
    ],
)
def test_an_address_that_is_not_the_api_is_named_and_refused(answer: httpx.Response, says: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    with pytest.raises(LoginFailed, match=says):
        asyncio.run(check_server("https://portal.test/api/v3", transport=httpx.MockTransport(handler)))
    assert seen and seen[0].url.path == "/api/v3/bootstrap"


def test_the_api_s_refusal_of_no_credentials_means_the_address_is_right(sandbox) -> None:
    asyncio.run(check_server(sandbox.base_url))  # no exception: the sandbox answered 401 as the API does


# -- demo launcher -------------------------------------------------------------------------------


def demo_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(CRMTUI_DATA_DIR=str(tmp_path / "demo-data"), CRMTUI_DEMO_TODAY="2026-03-10", CRMTUI_DEMO_SEED="42")
    env.update(extra)
    return env


def test_demo_sandbox_starts_serves_and_stops(tmp_path: Path) -> None:
    with demo_sandbox(env=demo_env(tmp_path)) as connection:
        assert connection.backend == "onepagecrm"
        assert connection.base_url.startswith("http://127.0.0.1:")
        response = httpx.get(
            connection.base_url + "/bootstrap", auth=(connection.user_id, connection.api_key), timeout=HANG_GUARD
        )
        assert response.status_code == 200
        assert connection.api_key not in repr(connection)
    assert (tmp_path / "demo-data" / "demo.sqlite3").exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(connection.base_url + "/bootstrap", timeout=2)


def test_demo_sandbox_keeps_credentials_across_runs_and_reset(tmp_path: Path) -> None:
    with demo_sandbox(env=demo_env(tmp_path)) as first:
        pass
    with demo_sandbox(reset=True, env=demo_env(tmp_path)) as second:
        response = httpx.get(second.base_url + "/bootstrap", auth=(second.user_id, second.api_key), timeout=HANG_GUARD)
        assert response.status_code == 200
    assert (first.user_id, first.api_key) == (second.user_id, second.api_key)


def test_demo_sandbox_failure_reports_the_childs_stderr(tmp_path: Path) -> None:
    with pytest.raises(DemoError) as info:
        with demo_sandbox(env=demo_env(tmp_path, CRMTUI_DEMO_TODAY="not-a-date")):
            pytest.fail("the sandbox should not have started")
    message = str(info.value)
    assert "exited with code" in message
    assert "not-a-date" in message


def _children_with(marker: str) -> list[int]:
    """Pids of this machine's processes whose command line holds `marker` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads the child's environment from Linux /proc")
def test_demo_sandbox_child_gets_no_credentials(tmp_path: Path) -> None:
    """The sandbox child sees what Python needs, never the keys of real profiles."""
    env = demo_env(
        tmp_path, ONEPAGECRM_API_KEY="real-key-0123456789", ONEPAGECRM_USER_ID="real-user", GITHUB_TOKEN="ghp_secret"
    )
    with demo_sandbox(env=env):
        pids = _children_with(str(tmp_path / "demo-data" / "demo.sqlite3"))
        assert pids, "the sandbox child was not found"
        child = (Path("/proc") / str(pids[0]) / "environ").read_bytes()
    names = {item.split(b"=", 1)[0].decode() for item in child.split(b"\0") if item}
    assert b"real-key-0123456789" not in child and b"ghp_secret" not in child and b"real-user" not in child
    assert not {"ONEPAGECRM_API_KEY", "ONEPAGECRM_USER_ID", "GITHUB_TOKEN", "CRMTUI_DATA_DIR"} & names
    assert "PATH" in names and "PYTHONUNBUFFERED" in names


def test_demo_data_file_is_private(tmp_path: Path) -> None:
    """The demo's data file holds the sandbox users' API keys: 0600, like every file with a secret."""
    data = tmp_path / "demo-data" / "demo.sqlite3"
    data.parent.mkdir()
    data.touch(mode=0o644)  # as an older crmtui left it
    os.chmod(data, 0o644)
    with demo_sandbox(env=demo_env(tmp_path)):
        pass
    for part in data.parent.iterdir():
        assert stat.S_IMODE(part.stat().st_mode) == 0o600, part.name


def test_a_slow_sandbox_start_is_waited_for_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fixed start deadline: a busy machine may take long; the launcher says it is still starting."""
    monkeypatch.setattr(demo, "SLOW_START", 0.01)
    said: list[str] = []
    child = subprocess.Popen(  # prints its line only once told to, long after the slow-start mark
        [sys.executable, "-c", "import sys; sys.stdin.readline(); print('listening on http://x user_id=u api_key=k')"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    try:
        def slow() -> None:
            said.append("slow")
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            child.stdin.flush()

        line, drain = demo._read_first_line(child, None, slow)
        assert said == ["slow"] and line is not None and line.startswith("listening on http://x")
    finally:
        child.kill()
        child.wait()
    drain.join(HANG_GUARD)


def test_a_sandbox_that_exits_before_starting_ends_the_wait() -> None:
    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"], stdout=subprocess.PIPE)
    try:
        line, drain = demo._read_first_line(child, None, None)
    finally:
        child.wait()
    assert line == ""
    drain.join(HANG_GUARD)


def _answers(connection) -> bool:
    try:
        httpx.get(connection.base_url + "/bootstrap", auth=(connection.user_id, connection.api_key), timeout=HANG_GUARD)
    except httpx.TransportError:
        return False
    return True


def test_two_demo_windows_share_one_sandbox_and_the_last_to_leave_stops_it(tmp_path: Path) -> None:
    """Two windows (SSH sessions) on the demo: one sandbox, so a change made in one is the other's too;
    it serves while either window runs."""
    env = demo_env(tmp_path)
    first = demo_sandbox(env=env)
    one = first.__enter__()
    try:
        with demo_sandbox(env=env) as two:
            assert two.base_url == one.base_url and two.api_key == one.api_key
            assert len(_children_with(str(tmp_path / "demo-data" / "demo.sqlite3"))) == 1
            with pytest.raises(DemoError, match="quit it before"):
                with demo_sandbox(reset=True, env=env):
                    pytest.fail("a reset under another window's feet")
        assert _answers(one)  # the second window left: the first's sandbox still serves
        with demo_sandbox(env=env) as three:  # a third joins the first's, then the first leaves
            first.__exit__(None, None, None)
            first = None
            assert _answers(three)
        # Ended (a zombie until this test process, which started it for the first window, reaps it).
        data = str(tmp_path / "demo-data" / "demo.sqlite3")
        wait_until(
            lambda: all(b"zombie" in _state(pid) for pid in _children_with(data)),
            what="the last window to leave to stop the sandbox",
        )
        assert not _answers(three)
    finally:
        if first is not None:
            first.__exit__(None, None, None)


def test_a_demo_sandbox_stops_by_itself_once_no_window_holds_it(tmp_path: Path) -> None:
    """A window killed outright never stops the sandbox it started: the sandbox notices no window
    holds the demo's lock and stops."""
    env = demo_env(tmp_path)
    data = tmp_path / "demo-data" / "demo.sqlite3"
    window = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, os; from crmtui.demo import demo_sandbox\n"
            "with demo_sandbox() as c:\n"
            "    print(c.base_url, flush=True); sys.stdin.read()\n"
        )],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert window.stdout is not None
    base_url = window.stdout.readline().strip()
    assert base_url.startswith("http://127.0.0.1:")
    [sandbox] = _children_with(str(data))
    window.kill()  # no clean-up runs: its lock goes with it
    window.wait(HANG_GUARD)
    wait_until(lambda: not Path(f"/proc/{sandbox}").exists() or b"zombie" in _state(sandbox), what="the sandbox to stop by itself")


def _state(pid: int) -> bytes:
    try:
        status = Path(f"/proc/{pid}/status").read_bytes()
    except OSError:
        return b"zombie"
    return status.lower()

"""The deployment files in deploy/ parsed and held to their promises: non-root, a data volume,
a health check, a hardened unit, and every setting documented."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import TOKEN_PATTERN, Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"

# Documented in env.example without being a `Settings` field: read by Docker Compose only.
DOCUMENTED_EXTRAS = {"POSTGRES_PASSWORD"}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    stage: int


def dockerfile_instructions() -> list[Instruction]:
    """The Dockerfile as instructions, continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, arguments.strip(), stage))
    assert not pending, "the Dockerfile ends with a continuation line"
    return instructions


def command_words(arguments: str) -> list[str]:
    """An exec-form (JSON) or shell-form command as a list of words."""
    if arguments.startswith("["):
        words = json.loads(arguments)
        assert isinstance(words, list)
        return [str(word) for word in words]
    return shlex.split(arguments)


def final_stage() -> list[Instruction]:
    instructions = dockerfile_instructions()
    last = max(instruction.stage for instruction in instructions)
    return [instruction for instruction in instructions if instruction.stage == last]


def test_dockerfile_builds_on_python_311_slim() -> None:
    """Every stage starts from python:3.11-slim: a small image on the supported Python."""
    images = [i.arguments.split()[0] for i in dockerfile_instructions() if i.keyword == "FROM"]
    assert images
    assert all(image == "python:3.11-slim" for image in images), images


def test_dockerfile_runs_as_a_non_root_user_before_the_entrypoint() -> None:
    """The final stage switches to a fixed, non-root uid before its ENTRYPOINT."""
    stage = final_stage()
    keywords = [instruction.keyword for instruction in stage]
    assert "USER" in keywords and "ENTRYPOINT" in keywords
    users = [i.arguments for i in stage if i.keyword == "USER"]
    last_user_at = max(n for n, i in enumerate(stage) if i.keyword == "USER")
    assert last_user_at < keywords.index("ENTRYPOINT")
    user = users[-1].split(":")[0]
    assert user.isdigit(), "a numeric uid lets the runtime check it is not root"
    assert int(user) != 0


def test_dockerfile_keeps_the_data_directory_in_a_volume() -> None:
    """/data is a VOLUME and the bot is told to keep its SQLite file and heartbeat there."""
    stage = final_stage()
    volumes = [
        path
        for i in stage
        if i.keyword == "VOLUME"
        for path in (
            json.loads(i.arguments) if i.arguments.startswith("[") else i.arguments.split()
        )
    ]
    assert "/data" in volumes
    env = " ".join(i.arguments for i in stage if i.keyword == "ENV")
    assert re.search(r"(^|\s)DATA_DIR=/data(\s|$)", env), env
    assert [i.arguments for i in stage if i.keyword == "WORKDIR"] == ["/app"]


def test_dockerfile_health_check_asks_the_bot() -> None:
    """HEALTHCHECK runs `kesimpta-bot health`, which reads the dispatcher's heartbeat."""
    checks = [i.arguments for i in final_stage() if i.keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD ")
    assert command, checks[0]
    assert all(option.startswith("--") for option in options.split())
    assert command_words(command.strip()) == ["kesimpta-bot", "health"]


def test_dockerfile_entrypoint_is_the_bot_and_runs_it_by_default() -> None:
    """`docker run IMAGE check` works because the command is the bot's subcommand."""
    stage = final_stage()
    entrypoints = [command_words(i.arguments) for i in stage if i.keyword == "ENTRYPOINT"]
    commands = [command_words(i.arguments) for i in stage if i.keyword == "CMD"]
    assert entrypoints[-1] == ["kesimpta-bot"]
    assert commands[-1] == ["run"]


def test_dockerfile_bakes_in_no_secret() -> None:
    """No token, secret or password is set in the image; they come from the environment."""
    for instruction in dockerfile_instructions():
        if instruction.keyword in {"ENV", "ARG", "LABEL"}:
            assert not re.search(r"TOKEN|SECRET|PASSWORD", instruction.arguments, re.I), instruction
    assert "BOT_TOKEN=" not in (DEPLOY / "Dockerfile").read_text()


def test_dockerfile_copies_only_what_exists_and_dockerignore_keeps_env_files_out() -> None:
    """Every COPY source is in the repository; .env files never reach the build context."""
    for instruction in dockerfile_instructions():
        if instruction.keyword != "COPY" or instruction.arguments.startswith("--from"):
            continue
        *sources, _destination = instruction.arguments.split()
        for source in sources:
            assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "**/.env" in ignored
    assert ".git" in ignored


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(document, dict)
    return document


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def data_volume(service: dict[str, Any]) -> str:
    """The named volume mounted at /data."""
    mounts = [str(mount) for mount in service.get("volumes", [])]
    named = [mount.split(":")[0] for mount in mounts if mount.split(":")[1] == "/data"]
    assert len(named) == 1, mounts
    return named[0]


def test_compose_bot_is_built_from_the_dockerfile_with_its_data_volume(
    compose: dict[str, Any],
) -> None:
    """The default service builds deploy/Dockerfile, reads .env, keeps /data, restarts."""
    bot = services(compose)["bot"]
    assert "profiles" not in bot, "the bot starts with a plain `docker compose up`"
    build = bot["build"]
    assert isinstance(build, dict)
    assert (DEPLOY / str(build["context"]) / str(build["dockerfile"])).resolve() == (
        DEPLOY / "Dockerfile"
    )
    assert bot["env_file"] in (".env", [".env"])
    assert data_volume(bot) in compose["volumes"]
    assert bot["restart"] == "unless-stopped"


def test_compose_postgres_profile_adds_a_database_the_bot_uses(compose: dict[str, Any]) -> None:
    """`--profile postgres` adds PostgreSQL 16 with a volume and a health check, and a bot
    service pointed at it that waits until it is healthy."""
    all_services = services(compose)
    postgres = all_services["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert postgres["image"] == "postgres:16"
    assert any(
        str(mount).endswith(":/var/lib/postgresql/data")
        and str(mount).split(":")[0] in compose["volumes"]
        for mount in postgres["volumes"]
    )
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])

    bot = all_services["bot-postgres"]
    assert bot["profiles"] == ["postgres"]
    url = bot["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url
    assert bot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert data_volume(bot) in compose["volumes"]
    assert bot["restart"] == "unless-stopped"
    assert bot["build"] == all_services["bot"]["build"]


BOT_UNIT = "kesimpta-bot.service"
BACKUP_UNIT = "kesimpta-bot-backup.service"
BACKUP_TIMER = "kesimpta-bot-backup.timer"


def unit_file(name: str = BOT_UNIT) -> dict[str, dict[str, list[str]]]:
    """A systemd unit in deploy/ as section -> key -> values (a key may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in (DEPLOY / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        assert current is not None, f"a setting outside any section: {line}"
        key, equals, value = line.partition("=")
        assert equals, f"not a key=value line: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_unit_runs_the_installed_bot_as_its_own_user_from_an_env_file() -> None:
    """A dedicated user, settings from /etc/kesimpta-bot/env, data in the state directory."""
    service = unit_file()["Service"]
    assert service["User"] == ["kesimpta"]
    assert service["EnvironmentFile"] == ["/etc/kesimpta-bot/env"]
    assert service["StateDirectory"] == ["kesimpta-bot"]
    assert "DATA_DIR=/var/lib/kesimpta-bot" in service["Environment"]
    assert service["ExecStart"] == ["/opt/kesimpta-bot/.venv/bin/kesimpta-bot run"]
    assert service["Restart"] == ["on-failure"]
    assert unit_file()["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "true"),
        ("PrivateTmp", "true"),
        ("NoNewPrivileges", "true"),
        ("PrivateDevices", "true"),
        ("ProtectKernelTunables", "true"),
        ("ProtectKernelModules", "true"),
        ("ProtectControlGroups", "true"),
        ("RestrictSUIDSGID", "true"),
        ("RestrictNamespaces", "true"),
        ("CapabilityBoundingSet", ""),
    ],
)
@pytest.mark.parametrize("unit", [BOT_UNIT, BACKUP_UNIT])
def test_unit_is_hardened(unit: str, key: str, value: str) -> None:
    """Each hardening setting is present with its strict value, in the bot's unit and the
    backup's."""
    assert unit_file(unit)["Service"].get(key) == [value]


def test_unit_writes_only_its_state_directory_and_can_reach_telegram() -> None:
    """No extra writable paths; IPv4 and IPv6 sockets stay allowed for outbound HTTPS."""
    service = unit_file()["Service"]
    assert set(service.get("ReadWritePaths", [])) <= {"/var/lib/kesimpta-bot"}
    families = " ".join(service["RestrictAddressFamilies"]).split()
    assert {"AF_INET", "AF_INET6"} <= set(families)
    assert "DynamicUser" not in service


def env_example_assignments() -> dict[str, tuple[str, str]]:
    """NAME -> (value, the comment line just above), for set and commented-out settings."""
    found: dict[str, tuple[str, str]] = {}
    previous = ""
    for raw in (DEPLOY / "env.example").read_text().splitlines():
        match = re.fullmatch(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)", raw.strip())
        if match:
            assert match[1] not in found, f"{match[1]} is documented twice"
            found[match[1]] = (match[2], previous)
        previous = raw.strip()
    return found


def test_env_example_documents_every_setting() -> None:
    """Each `Settings` field appears in env.example under a comment saying what it is for,
    so a new setting without documentation fails here."""
    documented = env_example_assignments()
    for field in Settings.model_fields:
        name = field.upper()
        assert name in documented, f"{name} is missing from deploy/env.example"
        _value, comment = documented[name]
        assert comment.startswith("# ") and not re.fullmatch(r"#\s*[A-Z0-9_]+=.*", comment), (
            f"{name} needs a comment line just above it"
        )


def test_env_example_documents_nothing_the_bot_does_not_read() -> None:
    """A misspelt name in env.example would be silently ignored by the bot."""
    known = {field.upper() for field in Settings.model_fields} | DOCUMENTED_EXTRAS
    assert set(env_example_assignments()) <= known


def test_env_example_holds_no_real_token() -> None:
    """BOT_TOKEN is there to be filled in, empty, and nothing else looks like a token."""
    assert env_example_assignments()["BOT_TOKEN"][0] == ""
    for word in re.findall(r"\S+", (DEPLOY / "env.example").read_text()):
        assert not TOKEN_PATTERN.search(word.split("=")[-1])


def test_backup_unit_copies_the_bots_database_into_its_state_directory() -> None:
    """The same user, settings and data directory as the bot; `backup --keep 14` into a folder
    inside the state directory, which systemd creates; once per start; no network at all."""
    bot = unit_file()["Service"]
    backup = unit_file(BACKUP_UNIT)["Service"]
    for key in ("User", "Group", "EnvironmentFile", "Environment", "WorkingDirectory"):
        assert backup[key] == bot[key], key
    assert backup["Type"] == ["oneshot"]
    assert backup["StateDirectory"] == ["kesimpta-bot kesimpta-bot/backups"]
    command = backup["ExecStart"][0].split()
    assert command[:2] == ["/opt/kesimpta-bot/.venv/bin/kesimpta-bot", "backup"]
    assert command[2] == "/var/lib/kesimpta-bot/backups"
    assert command[3:] == ["--keep", "14"]
    assert backup["PrivateNetwork"] == ["true"]
    assert set(backup.get("ReadWritePaths", [])) <= {"/var/lib/kesimpta-bot"}
    assert "Install" not in unit_file(BACKUP_UNIT)  # started by the timer, not at boot


def test_backup_timer_runs_it_daily_and_catches_up_after_downtime() -> None:
    """Daily, a missed run made up at the next boot, enabled with the other timers."""
    timer = unit_file(BACKUP_TIMER)
    schedule = timer["Timer"]["OnCalendar"]
    assert len(schedule) == 1 and re.fullmatch(r"\*-\*-\* \d\d:\d\d:00", schedule[0])
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Timer"].get("Unit", [BACKUP_UNIT]) == [BACKUP_UNIT]
    assert timer["Install"]["WantedBy"] == ["timers.target"]

"""Deployment: template.yaml passes cfn-lint, `sam build` makes an artifact without boto3, and that
artifact, alone on the path with only what the Lambda runtime provides beside it, answers Alexa.

`sam build` runs once per test session (the ``built_function`` fixture). The Lambda-like
process is ``python -I -S`` (no site-packages, no environment paths) with ``sys.path`` set to the
built function directory and a directory holding only boto3 and its dependencies, which is
what the Lambda Python runtime provides.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from skill.storage.dynamodb import PARTITION_KEY
from tests.support.alexa import Alexa
from tests.support.events import launch_event
from tests.support.moto_server import TEMPLATE, make_table, table_properties, template

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.moto_server import MotoServer, WorkoutTable

ROOT = Path(__file__).resolve().parents[1]
FUNCTION = "StrongBackFunction"
# What the AWS Lambda Python runtime provides besides the standard library.
LAMBDA_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
NOT_IN_ARTIFACT = (
    "boto3",
    "botocore",
    "s3transfer",
    "flask",
    "werkzeug",
    "waitress",
    "pyttsx3",
    "moto",
    "requests",
    "urllib3",
)


def function_resource() -> dict[str, Any]:
    return dict(template()["Resources"][FUNCTION])


# ----- the template -------------------------------------------------------------------------
def test_template_passes_cfn_lint_with_nothing_to_report() -> None:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(TEMPLATE, config=ManualArgs())
    assert [str(match) for match in matches] == []


def test_cfn_lint_does_find_a_broken_template(tmp_path: Path) -> None:
    """The check above is not vacuous: the same call reports a template that is wrong."""
    from cfnlint.api import ManualArgs, lint_file

    broken = tmp_path / "template.yaml"
    text = TEMPLATE.read_text().replace("Timeout: 7", "Timeout: 7000").replace("!Ref FunctionLogs", "!Ref FunctionLog")
    broken.write_text(text.replace("BillingMode: PAY_PER_REQUEST", "BillingMode: FREE"))
    rules = {match.rule.id for match in lint_file(broken, config=ManualArgs())}
    assert {"E3034", "E3030", "E6001"} <= rules  # value out of range, not an allowed value, no such resource


def test_table_and_function_agree_with_the_code() -> None:
    table = table_properties()
    assert [k["AttributeName"] for k in table["KeySchema"] if k["KeyType"] == "HASH"] == [PARTITION_KEY]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    function = function_resource()["Properties"]
    module, name = function["Handler"].rsplit(".", 1)
    assert f"def {name}(" in (ROOT / function["CodeUri"] / f"{module}.py").read_text()
    assert set(function["Environment"]["Variables"]) >= {"WORKOUT_TABLE", "SKILL_ID"}
    assert function["Timeout"] < 8, "Alexa waits about 8 seconds"


def test_the_function_may_touch_only_items_of_its_own_table() -> None:
    (policy,) = function_resource()["Properties"]["Policies"]
    for statement in policy["Statement"]:
        assert statement["Resource"] == {"Fn::GetAtt": ["WorkoutTable", "Arn"]}
        assert all(action.startswith("dynamodb:") and action.endswith("Item") for action in statement["Action"])
        assert not {"dynamodb:BatchWriteItem", "dynamodb:BatchGetItem"} & set(statement["Action"])


def test_progress_outlives_the_stack() -> None:
    (name,) = [n for n, r in template()["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    table = template()["Resources"][name]
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"


# ----- sam build and the artifact -------------------------------------------------------------
@pytest.fixture(scope="session")
def built_function(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sam = shutil.which("sam")
    if sam is None:
        pytest.skip("the sam executable is not on PATH (`make test` installs the SAM CLI and puts it on PATH)")
    build_dir = tmp_path_factory.mktemp("sam") / "build"
    result = subprocess.run(
        [sam, "build", "--template-file", str(TEMPLATE), "--build-dir", str(build_dir)],
        cwd=ROOT,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"sam build failed:\n{result.stdout}\n{result.stderr}"
    return build_dir / FUNCTION


@pytest.fixture(scope="session")
def lambda_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with only what the Lambda runtime provides: boto3 and its dependencies."""
    target = tmp_path_factory.mktemp("lambda-runtime")
    for name in LAMBDA_RUNTIME:
        distribution = importlib.metadata.distribution(name)
        tops = {Path(str(f)).parts[0] for f in distribution.files or [] if not str(f).startswith("..")}
        for top in tops - {"__pycache__"}:
            link = target / top
            if not link.exists():
                link.symlink_to(Path(str(distribution.locate_file(top))))
    return target


def isolated(function_dir: Path, runtime: Path, code: str) -> list[str]:
    """argv for a Lambda-like Python: no site-packages, no PYTHONPATH, only these two directories."""
    prelude = f"import sys; sys.path[:0] = [{str(function_dir)!r}, {str(runtime)!r}]\n"
    return [sys.executable, "-I", "-S", "-c", prelude + code]


def bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment with no AWS settings of this machine in it."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "LANG": "C.UTF-8", **extra}


SERVE = """
import json, sys, sysconfig
import lambda_function
for line in sys.stdin:
    request = json.loads(line)
    if request == "modules":
        allowed = tuple(sys.path[:2]) + (sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"))
        files = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}
        print(json.dumps(sorted(n for n, f in files.items() if f and not f.startswith(allowed))), flush=True)
    else:
        print(json.dumps(lambda_function.lambda_handler(request, None)), flush=True)
"""


class IsolatedLambda:
    """The built function in its own Lambda-like process, answering one envelope per line."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def ask(self, request: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            assert self.process.stderr is not None
            raise AssertionError(f"the function died:\n{self.process.stderr.read()}")
        return json.loads(line)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self.ask(event)
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def deployed(
    built_function: Path, lambda_runtime: Path, moto_server: MotoServer, tmp_path: Path
) -> Iterator[tuple[IsolatedLambda, WorkoutTable]]:
    table = make_table(moto_server)
    env = bare_env(tmp_path, **table.env, AWS_LAMBDA_FUNCTION_NAME="strong-back-test", LOG_LEVEL="WARNING")
    function = IsolatedLambda(isolated(built_function, lambda_runtime, SERVE), env)
    yield function, table
    function.close()


@pytest.mark.slow
def test_the_built_function_alone_with_boto3_coaches_and_saves_to_dynamodb(
    deployed: tuple[IsolatedLambda, WorkoutTable],
) -> None:
    function, table = deployed
    alexa = Alexa()
    alexa.handler = function
    hello = alexa.open()
    assert "welcome to strong back" in hello and not hello.ends_session
    heard = alexa.say("StartWorkoutIntent", area="upper_back", duration="PT10M")
    assert "ten minute upper back workout" in heard and not heard.ends_session
    stored = table.document(alexa.user)
    assert stored is not None and stored["workout"] == heard.attributes["workout"]
    assert function.ask("modules") == [], "modules were loaded from outside the artifact and the runtime"


@pytest.mark.slow
def test_the_artifact_holds_the_skill_and_its_pinned_requirements_only(built_function: Path) -> None:
    names = {path.name for path in built_function.iterdir()}
    assert "lambda_function.py" in names and "ask_sdk_core" in names and "ask_sdk_model" in names
    for package in NOT_IN_ARTIFACT:
        found = [n for n in names if n.split("-")[0].lower().replace("_", "-") == package or n == f"{package}.py"]
        assert found == [], f"{package} must not be packed"
    assert (built_function / "skill" / "locale" / "en" / "dialog.toml").exists()
    assert (built_function / "skill" / "data" / "catalog.toml").exists()
    assert not {"local_runner", "tests", "interaction_models", ".venv"} & names
    assert list(built_function.rglob("*.so")) == [], "compiled extensions would tie the artifact to one architecture"


def import_handler(built_function: Path, lambda_runtime: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import the built handler as Lambda's runtime would at start-up."""
    return subprocess.run(
        isolated(built_function, lambda_runtime, "import lambda_function"),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_on_lambda_a_missing_table_stops_start_up_with_one_clear_line(
    built_function: Path, lambda_runtime: Path, tmp_path: Path
) -> None:
    env = bare_env(tmp_path, AWS_LAMBDA_FUNCTION_NAME="strong-back-test", AWS_REGION="us-east-1")
    result = import_handler(built_function, lambda_runtime, env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "WORKOUT_TABLE is not set" in lines[0], result.stderr


@pytest.mark.slow
def test_a_table_without_a_region_is_a_clear_error_too(
    built_function: Path, lambda_runtime: Path, tmp_path: Path
) -> None:
    env = bare_env(tmp_path, WORKOUT_TABLE="progress")
    result = import_handler(built_function, lambda_runtime, env)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1 and "AWS_REGION" in lines[0], result.stderr


LOCAL = """
import json, sys
import lambda_function
print(json.dumps(lambda_function.lambda_handler(json.loads(sys.stdin.read()), None)))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "ask_sdk_dynamodb"))))
"""


@pytest.mark.slow
def test_without_a_table_or_region_nothing_of_boto3_is_even_imported(
    built_function: Path, lambda_runtime: Path, tmp_path: Path
) -> None:
    """boto3 is right there on the path, yet the SQLite path never imports it (no client, no region lookup)."""
    event = launch_event("amzn1.ask.account.local")
    result = subprocess.run(
        isolated(built_function, lambda_runtime, LOCAL),
        env=bare_env(tmp_path, STRONG_BACK_DB=str(tmp_path / "progress.db")),
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    response, aws_modules = (json.loads(line) for line in result.stdout.splitlines())
    assert "welcome" in response["response"]["outputSpeech"]["ssml"].lower()
    assert aws_modules == []
    assert (tmp_path / "progress.db").exists()

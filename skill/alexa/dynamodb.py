"""Progress in DynamoDB: ask-sdk's adapter with a time budget per call and JSON-safe numbers.

Imported only when ``WORKOUT_TABLE`` is set (``persistence.dynamodb_adapter``), and
``ask_sdk_dynamodb.adapter`` only after the region has been checked: that module builds a
boto3 resource at import time.

Alexa waits about 8 seconds for a reply. A request makes at most two storage calls (read before
the handler, save after it), and each call gives up after ``CALL_BUDGET_SECONDS``: botocore's own
retries are off, every attempt is bounded by the connect and read timeouts, and a retry (with
jittered exponential backoff) is started only if a whole attempt still fits in the budget. So
storage costs at most 4 seconds per request however DynamoDB misbehaves.
"""

from __future__ import annotations

import json
import logging
import random
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError, NoRegionError
from botocore.exceptions import ConnectionError as BotoConnectionError

from skill.alexa.persistence import ATTRIBUTE_NAME, PARTITION_KEY, ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ask_sdk_model import RequestEnvelope

log = logging.getLogger(__name__)
T = TypeVar("T")

CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 1.0
ATTEMPT_SECONDS = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS  # the longest one attempt can take
CALL_BUDGET_SECONDS = 2.0
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 0.4
# Errors worth another attempt: throttling and the service's own failures. Anything else (no
# such table, access denied, bad request) fails at once.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)


def make_resource(endpoint_url: str | None = None) -> Any:
    """A DynamoDB resource in its own boto3 session, with short timeouts and no botocore retries."""
    import boto3

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": 1},
    )
    try:
        return boto3.session.Session().resource("dynamodb", endpoint_url=endpoint_url or None, config=config)
    except NoRegionError:
        raise ConfigurationError(
            "WORKOUT_TABLE is set but no AWS region is configured: set AWS_REGION (Lambda sets it for you)."
        ) from None


def cause(error: BaseException) -> BaseException:
    """The boto3 exception behind ask-sdk's PersistenceException (which it raises while handling it)."""
    while isinstance(error, PersistenceException) and error.__context__ is not None:
        error = error.__context__
    return error


def retryable(error: BaseException) -> bool:
    """Throttled, a server error, or the connection failed or timed out.

    ask-sdk's adapter reports every failure as a PersistenceException raised while handling
    boto3's exception, so the decision is made on that original exception.
    """
    error = cause(error)
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in RETRYABLE_CODES or status >= 500
    return isinstance(error, (BotoConnectionError, HTTPClientError))


def within_budget(operation: Callable[[], T], budget: float = CALL_BUDGET_SECONDS) -> T:
    """Run ``operation``, retrying what is worth retrying while a whole attempt still fits in ``budget``."""
    start = time.monotonic()
    backoff = FIRST_BACKOFF_SECONDS
    while True:
        try:
            return operation()
        except Exception as error:
            pause = random.uniform(0, backoff)
            if not retryable(error) or time.monotonic() - start + pause + ATTEMPT_SECONDS > budget:
                raise
            log.info("storage call failed (%s); trying again", type(cause(error)).__name__)
            time.sleep(pause)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


def to_dynamodb(document: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB takes no floats: the same document with every float as a Decimal."""
    converted: dict[str, Any] = json.loads(json.dumps(document), parse_float=Decimal)
    return converted


def from_dynamodb(value: Any) -> Any:
    """The stored document back as plain JSON types (Decimals to ints or floats)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: from_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_dynamodb(item) for item in value]
    return value


class BudgetedAdapter(AbstractPersistenceAdapter):
    """ask-sdk's DynamoDbAdapter with a time budget per call and JSON-safe numbers.

    Every read, save and delete goes through ask-sdk's adapter (one item per user,
    ``{"id": <user id>, "attributes": <document>}``, consistent reads); this wrapper retries what
    is worth retrying within the budget, and converts floats, which boto3 refuses, to Decimals
    and back.
    """

    def __init__(self, inner: AbstractPersistenceAdapter, budget: float = CALL_BUDGET_SECONDS) -> None:
        self.inner = inner
        self.budget = budget

    def _call(self, operation: Callable[[], T]) -> T:
        return within_budget(operation, self.budget)

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        document = self._call(lambda: self.inner.get_attributes(request_envelope))
        return from_dynamodb(document) if isinstance(document, dict) else {}

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        document = to_dynamodb(attributes)
        self._call(lambda: self.inner.save_attributes(request_envelope, document))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self._call(lambda: self.inner.delete_attributes(request_envelope))


def workout_table_adapter(
    table: str, resource: Any, key: Callable[[RequestEnvelope], str], budget: float = CALL_BUDGET_SECONDS
) -> BudgetedAdapter:
    """ask-sdk's adapter over ``resource`` for the table template.yaml declares (never created here)."""
    # Imported here, once a region is known to be configured: the module builds a boto3
    # resource as it loads (the default argument of DynamoDbAdapter.__init__).
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    inner = DynamoDbAdapter(
        table_name=table,
        partition_key_name=PARTITION_KEY,
        attribute_name=ATTRIBUTE_NAME,
        create_table=False,
        partition_keygen=key,
        dynamodb_resource=resource,
    )
    return BudgetedAdapter(inner, budget)

"""Progress in DynamoDB: ask-sdk's adapter with conditional saves, a time budget per call and
JSON-safe numbers.

Imported only when ``WORKOUT_TABLE`` is set (``persistence.dynamodb_adapter``), and
``ask_sdk_dynamodb.adapter`` only after the region has been checked: that module builds a
boto3 resource at import time.

One item per person: ``{"id": <user id>, "attributes": <document>, "revision": <n>}``. A save of a
``StoredDocument`` is a PutItem on condition that the revision is still the one it was read at
(``attribute_not_exists(revision)`` for a first write, which also matches items from before
revisions). When the condition fails, DynamoDB returns the stored item with the failure
(``ReturnValuesOnConditionCheckFailure``), this request's document is merged into it and the
put tried again: no extra read, and the same time budget.

Alexa waits about 8 seconds for a reply. A request makes at most two storage calls (read before
the handler, save after it), and each call gives up after ``CALL_BUDGET_SECONDS``: botocore's own
retries are off, every attempt is bounded by the connect and read timeouts, and a retry (with
jittered exponential backoff; after throttling, a server error or a lost race to another save)
is started only if a whole attempt still fits in the budget. So storage costs at most 4 seconds
per request however DynamoDB misbehaves, and however busy the person's other devices are.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError, NoRegionError
from botocore.exceptions import ConnectionError as BotoConnectionError

from skill.alexa.persistence import (
    ATTRIBUTE_NAME,
    PARTITION_KEY,
    REVISION_NAME,
    ConfigurationError,
    StoredDocument,
    WriteConflict,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ask_sdk_model import RequestEnvelope

    from skill.alexa.persistence import Resolve

log = logging.getLogger(__name__)
T = TypeVar("T")

CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 1.0
ATTEMPT_SECONDS = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS  # the longest one attempt can take
CALL_BUDGET_SECONDS = 2.0
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 0.4
MAX_SAVE_ROUNDS = 10  # conditional puts per save at most (the time budget usually ends a contest first)
CONFLICT_PAUSE_SECONDS = 0.005  # after a lost race the merged document is current: try again at once (jittered)
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


def make_resource(endpoint_url: str | None = None) -> PerThreadResource:
    """DynamoDB resources with short timeouts and no botocore retries, one per thread; the first made now."""
    import boto3

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": 1},
    )

    def make() -> Any:
        return boto3.session.Session().resource("dynamodb", endpoint_url=endpoint_url or None, config=config)

    try:
        return PerThreadResource(make)
    except NoRegionError:
        raise ConfigurationError(
            "WORKOUT_TABLE is set but no AWS region is configured: set AWS_REGION (Lambda sets it for you)."
        ) from None
    except ValueError as error:  # botocore: an empty or malformed region or endpoint
        raise ConfigurationError(
            f"WORKOUT_TABLE is set but DynamoDB cannot be reached as configured ({error}): "
            "check AWS_REGION and DYNAMODB_ENDPOINT_URL."
        ) from None


class PerThreadResource:
    """A boto3 DynamoDB resource for each thread that uses it, each in its own boto3 session.

    boto3's sessions and resources are not thread-safe (its guide says: one per thread), and the
    web endpoint answers several requests at once on threads of one process. The resource is made
    on a thread's first call and kept for that thread, and so are its Table objects (making one
    costs more than a millisecond, twice a request); only ``Table`` is offered, all that ask-sdk's
    adapter and ours use.
    """

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._local = threading.local()
        self._local.resource = make()  # now: a missing region is a start-up error, not a request's

    def Table(self, name: str) -> Any:  # boto3's name, as ask-sdk calls it
        tables: dict[str, Any] | None = getattr(self._local, "tables", None)
        if tables is None:
            tables = self._local.tables = {}
        table = tables.get(name)
        if table is None:
            resource = getattr(self._local, "resource", None)
            if resource is None:
                resource = self._local.resource = self._make()
            table = tables[name] = resource.Table(name)
        return table


def cause(error: BaseException) -> BaseException:
    """The boto3 exception behind ask-sdk's PersistenceException (which it raises while handling it)."""
    while isinstance(error, PersistenceException) and error.__context__ is not None:
        error = error.__context__
    return error


class StaleRevision(Exception):
    """A conditional put lost to another save; the merged document is ready for the next attempt."""


def retryable(error: BaseException) -> bool:
    """Throttled, a server error, the connection failed or timed out, or a save lost a race.

    ask-sdk's adapter reports every failure as a PersistenceException raised while handling
    boto3's exception, so the decision is made on that original exception.
    """
    error = cause(error)
    if isinstance(error, StaleRevision):
        return True
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
            lost_race = isinstance(error, StaleRevision)  # not a sick service: no need to back off far
            pause = random.uniform(0, CONFLICT_PAUSE_SECONDS if lost_race else backoff)
            if not retryable(error) or time.monotonic() - start + pause + ATTEMPT_SECONDS > budget:
                raise
            if not lost_race:
                log.info("storage call failed (%s); trying again", type(cause(error)).__name__)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            time.sleep(pause)


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


def stored_document(item: dict[str, Any] | None) -> StoredDocument:
    """An item (as the resource API returns it) as a ``StoredDocument``; revision 0 when there is none."""
    if not item:
        return StoredDocument()
    document = from_dynamodb(item.get(ATTRIBUTE_NAME))
    revision = from_dynamodb(item.get(REVISION_NAME, 0))
    return StoredDocument(document if isinstance(document, dict) else {}, revision if isinstance(revision, int) else 0)


def _item_from_wire(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """An item in DynamoDB's wire format (as an error carries it) in the resource API's form."""
    if not raw:
        return None
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in raw.items()}


class BudgetedAdapter(AbstractPersistenceAdapter):
    """ask-sdk's DynamoDbAdapter, with revisions, conditional saves, a time budget per call and JSON numbers.

    ``inner`` (ask-sdk's adapter) holds the table, the key function and the item's attribute
    names, and does the deletes. Reads and saves use the same table and key, but need the
    item's revision, which ask-sdk's ``get_attributes`` does not return (it returns only the
    ``attributes`` map), and a conditional put, which its ``save_attributes`` cannot do. Every
    call retries what is worth retrying within the budget, and floats, which boto3 refuses,
    become Decimals and back.
    """

    def __init__(self, inner: Any, resolve: Resolve, budget: float = CALL_BUDGET_SECONDS) -> None:
        self.inner = inner
        self.resolve = resolve
        self.budget = budget

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        try:
            return within_budget(operation, self.budget)
        except PersistenceException:
            raise
        except StaleRevision:
            raise WriteConflict(f"progress kept changing while this {what} was tried, until its time was up") from None
        except Exception as error:
            raise PersistenceException(f"could not {what} progress: {type(error).__name__}: {error}") from error

    def _table(self) -> Any:
        return self.inner.dynamodb.Table(self.inner.table_name)

    def _key(self, request_envelope: RequestEnvelope) -> dict[str, str]:
        return {self.inner.partition_key_name: self.inner.partition_keygen(request_envelope)}

    def get_attributes(self, request_envelope: RequestEnvelope) -> StoredDocument:
        key = self._key(request_envelope)
        item = self._call("read", lambda: self._table().get_item(Key=key, ConsistentRead=True).get("Item"))
        return stored_document(item)

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        key = self._key(request_envelope)
        if isinstance(attributes, StoredDocument):
            self._save_if(key, dict(attributes), attributes.revision, self.resolve)
            return
        # Over whatever is stored, as the next revision (the function's role may get, put and delete items:
        # no UpdateItem, so the revision is read and the put made on condition that it is still the same).
        current = self.get_attributes(request_envelope)
        self._save_if(key, dict(attributes), current.revision, lambda stored, mine: mine)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self._call("delete", lambda: self.inner.delete_attributes(request_envelope))

    def _save_if(self, key: dict[str, str], document: dict[str, Any], revision: int, resolve: Resolve) -> None:
        """Put ``document`` as revision + 1 if the item is still at ``revision``; after a lost race, ``resolve``
        (stored, mine) gives the document to put instead, and the put is tried again."""
        rounds = 0

        def attempt() -> None:
            nonlocal document, revision, rounds
            rounds += 1
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(#rev)"}
            if revision:
                condition = {"ConditionExpression": "#rev = :seen", "ExpressionAttributeValues": {":seen": revision}}
            try:
                self._table().put_item(
                    Item={**key, ATTRIBUTE_NAME: to_dynamodb(document), REVISION_NAME: revision + 1},
                    ExpressionAttributeNames={"#rev": REVISION_NAME},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **condition,
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                current = stored_document(_item_from_wire(error.response.get("Item")))
                log.info("progress changed since it was read (revision %d, now %d)", revision, current.revision)
                if rounds >= MAX_SAVE_ROUNDS:
                    raise WriteConflict(f"progress kept changing during {MAX_SAVE_ROUNDS} saves") from None
                document, revision = resolve(dict(current), document), current.revision
                raise StaleRevision from None

        self._call("save", attempt)


def workout_table_adapter(
    table: str,
    resource: Any,
    key: Callable[[RequestEnvelope], str],
    resolve: Resolve,
    budget: float = CALL_BUDGET_SECONDS,
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
    return BudgetedAdapter(inner, resolve, budget)

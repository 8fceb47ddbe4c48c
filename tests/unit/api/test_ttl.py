"""UpdateTimeToLive and DescribeTimeToLive (dyncore.api.ttl) through the
embedded client and the JSON form the server uses: response shapes,
DynamoDB's exact error types and messages, in DynamoDB's order."""
import pytest

import dyncore
from dyncore import _core
from dyncore.api.service import HANDLERS, Service
from dyncore.errors import ParamValidationError, ResourceNotFoundException, ValidationException
from tests.unit.clocked import T0, clock  # noqa: F401 - the ManualClock fixture


@pytest.fixture
def db(tmp_path, clock):
    d = dyncore.open(tmp_path / "data", sync="none", clock=clock, ttl_sweep_interval=None)
    c = d.client()
    c.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")
    yield d
    d.close()


@pytest.fixture
def client(db):
    return db.client()


def spec(enabled, name="exp"):
    return {"Enabled": enabled, "AttributeName": name}


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_served_operations():
    assert "UpdateTimeToLive" in HANDLERS and "DescribeTimeToLive" in HANDLERS


def test_round_trip(client, clock):
    out = client.describe_time_to_live(TableName="tbl")
    assert out["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    assert "ResponseMetadata" in out
    out = client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(True))
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    assert client.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    clock.advance(3600)
    out = client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(False))
    assert out["TimeToLiveSpecification"] == {"Enabled": False, "AttributeName": "exp"}
    # a disabled table forgets the attribute, as DynamoDB's does
    assert client.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}


def test_missing_table(client):
    for call, kwargs in [(client.describe_time_to_live, {}),
                         (client.update_time_to_live, {"TimeToLiveSpecification": spec(True)})]:
        with pytest.raises(client.exceptions.ResourceNotFoundException) as e:
            call(TableName="nope", **kwargs)
        assert error(e) == ("ResourceNotFoundException",
                            "Requested resource not found: Table: nope not found")


def test_deleted_table_loses_its_setting(client):
    client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(True))
    client.delete_table(TableName="tbl")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_time_to_live(TableName="tbl")
    client.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    assert client.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}
    # a new table: no cooldown carried over (as DynamoDB's same-name re-create)
    client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(True))


@pytest.mark.parametrize("first, second, message", [
    (None, spec(False), "TimeToLive is already disabled"),
    (spec(True), spec(True), "TimeToLive is already enabled"),
    (spec(True), spec(True, "other"),
     "TimeToLive is active on a different AttributeName: current AttributeName is exp"),
    (spec(True), spec(False, "other"),
     "TimeToLive is active on a different AttributeName: current AttributeName is exp"),
    (spec(True), spec(False),
     "Time to live has been modified multiple times within a fixed interval"),
])
def test_state_errors(client, first, second, message):
    if first:
        client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=first)
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=second)
    assert error(e) == ("ValidationException", message)
    assert e.value.operation_name == "UpdateTimeToLive"


def test_cooldown_is_one_hour_by_the_clock(client, clock):
    client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(True))
    clock.advance(3599)
    with pytest.raises(client.exceptions.ValidationException):
        client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(False))
    assert client.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"][
        "TimeToLiveStatus"] == "ENABLED"
    clock.advance(1)
    client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(False))
    # the failed attempt did not restart the interval; the success did
    clock.advance(1800)
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(True, "b"))
    assert "fixed interval" in error(e)[1]


def test_cooldown_option(tmp_path, clock):
    with dyncore.open(tmp_path / "d", sync="none", clock=clock, ttl_sweep_interval=None,
                      ttl_update_cooldown=0) as db:
        c = db.client()
        c.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")
        for enabled in (True, False, True, False):
            c.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(enabled))


def test_client_side_validation(client):
    # botocore refuses these before sending; so does the embedded client
    for kwargs in [{"TableName": "tbl"},
                   {"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": True}},
                   {"TableName": "tbl", "TimeToLiveSpecification": spec(True, "")},
                   {"TimeToLiveSpecification": spec(True)}]:
        with pytest.raises(ParamValidationError):
            client.update_time_to_live(**kwargs)
    with pytest.raises(ParamValidationError):
        client.describe_time_to_live()


@pytest.mark.parametrize("op, params, error_type, message", [
    ("DescribeTimeToLive", {}, ValidationException,
     "The parameter 'TableName' is required but was not present in the request"),
    ("DescribeTimeToLive", {"TableName": "ab"}, ValidationException,
     "TableName must be at least 3 characters long and at most 255 characters long"),
    ("DescribeTimeToLive", {"TableName": "abc;"}, ValidationException,
     "1 validation error detected: Value 'abc;' at 'tableName' failed to satisfy constraint: "
     "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ("DescribeTimeToLive", {"TableName": "nope"}, ResourceNotFoundException,
     "Requested resource not found: Table: nope not found"),
    ("UpdateTimeToLive", {"TableName": "tbl"}, ValidationException,
     "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy "
     "constraint: Member must not be null"),
    ("UpdateTimeToLive", {"TableName": "tbl", "TimeToLiveSpecification": {}},
     ValidationException,
     "2 validation errors detected: Value null at 'timeToLiveSpecification.attributeName' "
     "failed to satisfy constraint: Member must not be null; Value null at "
     "'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null"),
    ("UpdateTimeToLive", {"TableName": "tbl",
                          "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "a" * 256}},
     ValidationException,
     f"1 validation error detected: Value '{'a' * 256}' at "
     "'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have "
     "length less than or equal to 255"),
    ("UpdateTimeToLive", {"TableName": "nope", "TimeToLiveSpecification": spec(True)},
     ResourceNotFoundException, "Requested resource not found: Table: nope not found"),
    ("UpdateTimeToLive", {"TableName": "tbl", "TimeToLiveSpecification": spec(False)},
     ValidationException, "TimeToLive is already disabled"),
])
def test_json_form_errors(db, op, params, error_type, message):
    with pytest.raises(error_type) as e:
        Service(db).call(op, params, _core.FORM_JSON, "json")
    assert e.value.message == message


def test_json_form_round_trip(db):
    s = Service(db)
    out = s.call("UpdateTimeToLive", {"TableName": "tbl", "TimeToLiveSpecification": spec(True)},
                 _core.FORM_JSON, "json")
    assert out == {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": "exp"}}
    assert s.call("DescribeTimeToLive", {"TableName": "tbl"}, _core.FORM_JSON, "json") == {
        "TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}}


def test_attribute_names_any_characters_up_to_255(client):
    name = "é.#:-" + "x" * 250
    client.update_time_to_live(TableName="tbl", TimeToLiveSpecification=spec(True, name))
    assert client.describe_time_to_live(TableName="tbl")["TimeToLiveDescription"][
        "AttributeName"] == name

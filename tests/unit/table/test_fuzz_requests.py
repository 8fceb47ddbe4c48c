"""Bad input never escapes as anything but a DynamoDB error: random,
mostly malformed requests of the expression-bearing operations, in every
value form, either succeed or raise a DynamoDBError (or, for the client and
native forms, botocore's ParamValidationError, as boto3 would before
sending) -- never TypeError, KeyError, ... -- and a failed request changes
nothing."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import dyncore
from dyncore import _core
from dyncore.api.service import Service
from dyncore.errors import DynamoDBError, ParamValidationError

OPS = ("PutItem", "UpdateItem", "DeleteItem", "GetItem", "Query", "Scan", "BatchGetItem",
       "TransactWriteItems", "TransactGetItems")

scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=6),
                   st.binary(max_size=4), st.sampled_from(["pk", "v", "#n", ":v", "SET v = :v",
                                                           "v = :v", "attribute_exists(pk)",
                                                           "ADD v :v", "REMOVE v", "EQ", "NE",
                                                           "BETWEEN", "ALL_NEW", "ALL_OLD",
                                                           "tbl", "S", "N", "1"]))
av = st.one_of(
    st.fixed_dictionaries({"S": st.one_of(st.text(max_size=4), scalar)}),
    st.fixed_dictionaries({"N": st.one_of(st.sampled_from(["1", "1.5", "x", "", "1e999"]), scalar)}),
    st.fixed_dictionaries({"SS": st.lists(st.text(max_size=3), max_size=3)}),
    st.fixed_dictionaries({"L": st.lists(st.fixed_dictionaries({"N": st.just("2")}), max_size=2)}),
    st.dictionaries(st.sampled_from(["S", "N", "BOOL", "X"]), scalar, max_size=2),
    scalar)
value = st.recursive(st.one_of(scalar, av),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(st.sampled_from(
                                                 ["pk", "v", "S", "N", ":v", "#n", "Value",
                                                  "Action", "ComparisonOperator",
                                                  "AttributeValueList", "Exists"]),
                                                 inner, max_size=3)),
                     max_leaves=8)
MEMBERS = ["TableName", "Item", "Key", "ConditionExpression", "UpdateExpression",
           "FilterExpression", "ProjectionExpression", "KeyConditionExpression",
           "ExpressionAttributeNames", "ExpressionAttributeValues", "ReturnValues",
           "ReturnValuesOnConditionCheckFailure", "Expected", "AttributeUpdates",
           "ConditionalOperator", "QueryFilter", "ScanFilter", "AttributesToGet",
           "KeyConditions", "Select", "Limit", "TransactItems", "RequestItems",
           "ClientRequestToken"]
GOOD = {"TableName": "tbl", "Key": {"pk": {"S": "a"}}, "Item": {"pk": {"S": "a"}, "v": {"N": "1"}},
        "ExpressionAttributeValues": {":v": {"N": "1"}}, "ExpressionAttributeNames": {"#n": "v"},
        "UpdateExpression": "SET v = :v", "ConditionExpression": "attribute_exists(pk)",
        "KeyConditionExpression": "pk = :v"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    db = dyncore.open(tmp_path_factory.mktemp("fuzz") / "d", sync="none")
    c = db.client()
    c.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")
    yield db, Service(db)
    db.close()


def snapshot(db):
    return db.client().scan(TableName="tbl")["Items"]


@settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(OPS), form=st.sampled_from([_core.FORM_NATIVE, _core.FORM_CLIENT,
                                                       _core.FORM_JSON]),
       members=st.dictionaries(st.sampled_from(MEMBERS), value, max_size=5),
       good=st.lists(st.sampled_from(sorted(GOOD)), max_size=4))
def test_random_requests_fail_cleanly(env, op, form, members, good):
    db, service = env
    db.client().put_item(TableName="tbl", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    params = {k: GOOD[k] for k in good}
    params.update(members)
    before = snapshot(db)
    try:
        service.call(op, params, form)
    except (DynamoDBError, ParamValidationError) as e:
        assert not (isinstance(e, ParamValidationError) and form == _core.FORM_JSON)
        assert snapshot(db) == before, "a failed request changed the table"
    except Exception as e:  # noqa: BLE001
        pytest.fail(f"{op} {form} raised {type(e).__name__}: {e} for {params!r}")


TEMPLATES = {
    "PutItem": {"TableName": "tbl", "Item": {"pk": {"S": "b"}, "v": {"N": "2"}},
                "ConditionExpression": "attribute_not_exists(pk) OR v < :v",
                "ExpressionAttributeValues": {":v": {"N": "5"}}, "ReturnValues": "ALL_OLD"},
    "UpdateItem": {"TableName": "tbl", "Key": {"pk": {"S": "a"}},
                   "UpdateExpression": "SET v = v + :v, #n = list_append(if_not_exists(#n, :e), :l)",
                   "ConditionExpression": "size(#n) < :v OR attribute_not_exists(#n)",
                   "ExpressionAttributeNames": {"#n": "lst"},
                   "ExpressionAttributeValues": {":v": {"N": "5"}, ":e": {"L": []},
                                                 ":l": {"L": [{"S": "x"}]}},
                   "ReturnValues": "UPDATED_NEW"},
    "DeleteItem": {"TableName": "tbl", "Key": {"pk": {"S": "zz"}},
                   "Expected": {"v": {"ComparisonOperator": "NULL"}}},
    "Query": {"TableName": "tbl", "KeyConditionExpression": "pk = :p",
              "FilterExpression": "v BETWEEN :a AND :b", "ProjectionExpression": "v, lst[0]",
              "ExpressionAttributeValues": {":p": {"S": "a"}, ":a": {"N": "0"}, ":b": {"N": "9"}},
              "Limit": 5},
    "Scan": {"TableName": "tbl", "ScanFilter": {"v": {"ComparisonOperator": "IN",
                                                      "AttributeValueList": [{"N": "1"}]}},
             "AttributesToGet": ["v"], "Select": "SPECIFIC_ATTRIBUTES"},
    "TransactWriteItems": {"TransactItems": [
        {"Update": {"TableName": "tbl", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "ADD v :v",
                    "ExpressionAttributeValues": {":v": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": "tbl", "Key": {"pk": {"S": "c"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}}],
        "ClientRequestToken": None},
}


@settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(sorted(TEMPLATES)),
       form=st.sampled_from([_core.FORM_CLIENT, _core.FORM_JSON]),
       data=st.data())
def test_mutated_valid_requests_fail_cleanly(env, op, form, data):
    """One or two members of a valid request replaced by random values (for
    transactions, members of the first action)."""
    import copy
    db, service = env
    db.client().put_item(TableName="tbl", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    params = copy.deepcopy(TEMPLATES[op])
    params = {k: v for k, v in params.items() if v is not None}
    target = params
    if op == "TransactWriteItems":
        target = next(iter(params["TransactItems"][0].values()))
    for _ in range(data.draw(st.integers(1, 2))):
        member = data.draw(st.sampled_from(sorted(target) + MEMBERS[:12]))
        if data.draw(st.booleans()):
            target.pop(member, None)
        else:
            target[member] = data.draw(value)
    before = snapshot(db)
    try:
        service.call(op, params, form)
    except (DynamoDBError, ParamValidationError) as e:
        assert not (isinstance(e, ParamValidationError) and form == _core.FORM_JSON)
        assert snapshot(db) == before, "a failed request changed the table"
    except Exception as e:  # noqa: BLE001
        pytest.fail(f"{op} {form} raised {type(e).__name__}: {e} for {params!r}")

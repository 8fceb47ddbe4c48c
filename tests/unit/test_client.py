"""The embedded client has boto3's shape: method names, keyword-only calls,
ResponseMetadata, client.exceptions, botocore-compatible errors, paginators
and waiters."""
import pytest

import dyncore
from dyncore import errors


@pytest.fixture
def client(tmp_path):
    db = dyncore.open(tmp_path / "d", sync="none")
    yield db.client()
    db.close()


def test_exceptions_are_client_errors(client):
    botocore = pytest.importorskip("botocore.exceptions")
    with pytest.raises(botocore.ClientError) as e:
        client.describe_table(TableName="nope")
    assert isinstance(e.value, client.exceptions.ResourceNotFoundException)
    assert isinstance(e.value, errors.ResourceNotFoundException)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.operation_name == "DescribeTable"
    assert str(e.value) == ("An error occurred (ResourceNotFoundException) when calling the "
                            "DescribeTable operation: Requested resource not found: Table: "
                            "nope not found")


def test_every_error_type_is_reachable(client):
    for name in ("ConditionalCheckFailedException", "TransactionCanceledException",
                 "ProvisionedThroughputExceededException", "ValidationException",
                 "ResourceInUseException", "ItemCollectionSizeLimitExceededException"):
        cls = getattr(client.exceptions, name)
        assert cls is getattr(errors, name)
        assert cls("m").response["Error"] == {"Code": name, "Message": "m"}


def test_keyword_only(client):
    with pytest.raises(TypeError):
        client.list_tables("x")


def test_param_validation(client):
    with pytest.raises(errors.ParamValidationError) as e:
        client.get_item(Key={"pk": {"S": "a"}})
    assert 'Missing required parameter in input: "TableName"' in str(e.value)


def test_waiters(client):
    client.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    client.get_waiter("table_exists").wait(TableName="tbl")
    client.delete_table(TableName="tbl")
    client.get_waiter("table_not_exists").wait(TableName="tbl")
    with pytest.raises(ValueError):
        client.get_waiter("no_such_waiter")


@pytest.mark.parametrize("item", [
    {"pk": {"S": "a"}, "x": {"S": 5}},
    {"pk": {"S": "a"}, "x": {"L": "notalist"}},
    {"pk": {"S": "a"}, "x": {"Q": "1"}},
    {"pk": {"S": "a"}, "x": {"M": {"y": {"NULL": "yes"}}}},
    {"pk": {"S": "a"}, "x": {"SS": ["a", 1]}},
])
def test_attribute_value_shapes_as_botocore(client, item):
    """What botocore refuses before sending, the client refuses with
    botocore's report, whatever the codec noticed first."""
    validate = pytest.importorskip("botocore.validate")
    import botocore.session
    model = botocore.session.get_session().get_service_model("dynamodb")
    params = {"TableName": "tbl", "Item": item}
    want = validate.ParamValidator().validate(
        params, model.operation_model("PutItem").input_shape).generate_report()
    assert want
    client.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    with pytest.raises(errors.ParamValidationError) as e:
        client.put_item(**params)
    assert e.value.report == want
    assert client.scan(TableName="tbl")["Count"] == 0


@pytest.mark.parametrize("name", [["tbl"], {"a": 1}, 5, None])
def test_bad_table_name_types(client, name):
    with pytest.raises(errors.ParamValidationError):
        client.put_item(TableName=name, Item={"pk": {"S": "a"}})
    with pytest.raises(errors.ParamValidationError):
        client.get_item(TableName=name, Key={"pk": {"S": "a"}})

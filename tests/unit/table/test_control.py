"""Table operations through the embedded client: CreateTable, DescribeTable,
ListTables, UpdateTable, DeleteTable, tags; DynamoDB's errors, durability of
the catalog across reopen, and the clean-up of what a crash leaves."""
import datetime as dt
import os

import pytest

import dyncore
from dyncore import errors

from .conftest import make_table


def err(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_create_describe(client):
    out = make_table(client)["TableDescription"]
    assert out["TableName"] == "tbl"
    assert out["TableStatus"] == "ACTIVE"
    assert out["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert out["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert isinstance(out["CreationDateTime"], dt.datetime)
    desc = client.describe_table(TableName="tbl")["Table"]
    assert desc["ItemCount"] == 0 and desc["TableSizeBytes"] == 0
    assert desc["TableArn"].endswith(":table/tbl")
    assert desc["TableId"] == out["TableId"]
    client.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "xyz"}})
    desc = client.describe_table(TableName="tbl")["Table"]
    assert desc["ItemCount"] == 1
    assert desc["TableSizeBytes"] == len("pk") + 1 + len("sk") + 2 + len("x") + 3


def test_create_existing(client):
    make_table(client)
    with pytest.raises(client.exceptions.ResourceInUseException) as e:
        make_table(client)
    assert err(e) == ("ResourceInUseException", "Table already exists: tbl")


def test_describe_missing(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException) as e:
        client.describe_table(TableName="nope")
    assert err(e) == ("ResourceNotFoundException",
                      "Requested resource not found: Table: nope not found")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as e:
        client.get_item(TableName="nope", Key={"pk": {"S": "a"}})
    assert err(e)[1] == "Requested resource not found"


@pytest.mark.parametrize("kwargs, message", [
    (dict(BillingMode="PROVISIONED", ProvisionedThroughput=None),
     "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
     "must both be specified when BillingMode is PROVISIONED"),
    (dict(BillingMode="PAY_PER_REQUEST",
          ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
     "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
     "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"),
    (dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}]),
     "Invalid KeySchema: Some index key attribute have no definition"),
    (dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                {"AttributeName": "other", "AttributeType": "S"}]),
     "One or more parameter values were invalid: Some index key attributes are not defined "
     "in AttributeDefinitions. Keys: [pk, sk], AttributeDefinitions: [pk, other]"),
    (dict(KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"},
                     {"AttributeName": "sk", "KeyType": "HASH"}]),
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    (dict(KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                     {"AttributeName": "pk", "KeyType": "RANGE"}]),
     "Both the Hash Key and the Range Key element in the KeySchema have the same name"),
    (dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                {"AttributeName": "sk", "AttributeType": "N"},
                                {"AttributeName": "x", "AttributeType": "N"}]),
     "One or more parameter values were invalid: Number of attributes in KeySchema does not "
     "exactly match number of attributes defined in AttributeDefinitions"),
])
def test_create_invalid(client, kwargs, message):
    params = dict(TableName="tbl",
                  KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                             {"AttributeName": "sk", "KeyType": "RANGE"}],
                  AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                        {"AttributeName": "sk", "AttributeType": "N"}],
                  BillingMode="PAY_PER_REQUEST")
    params.update(kwargs)
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.create_table(**params)
    assert err(e) == ("ValidationException", message)
    assert client.list_tables()["TableNames"] == []


def test_list_tables_pagination(client):
    names = ["abc", "Abc", "a.bc", "zzz", "a-1", "a_2", "ABC"]
    for n in names:
        make_table(client, n, sk=None)
    want = sorted(names, key=lambda s: s.encode())
    assert client.list_tables()["TableNames"] == want
    got, start = [], None
    while True:
        kw = {"Limit": 3}
        if start:
            kw["ExclusiveStartTableName"] = start
        page = client.list_tables(**kw)
        got += page["TableNames"]
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
    assert got == want
    pages = list(client.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}))
    assert [n for p in pages for n in p["TableNames"]] == want


def test_update_table(client):
    make_table(client, BillingMode="PROVISIONED",
               ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.update_table(TableName="tbl")
    assert "At least one of" in err(e)[1]
    with pytest.raises(client.exceptions.ValidationException) as e:
        client.update_table(TableName="tbl", ProvisionedThroughput={"ReadCapacityUnits": 5,
                                                                  "WriteCapacityUnits": 5})
    assert err(e)[1].startswith("The provisioned throughput for the table will not change.")
    out = client.update_table(TableName="tbl", ProvisionedThroughput={"ReadCapacityUnits": 7,
                                                                    "WriteCapacityUnits": 9})
    pt = out["TableDescription"]["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (7, 9)
    out = client.update_table(TableName="tbl", BillingMode="PAY_PER_REQUEST")
    assert out["TableDescription"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    client.update_table(TableName="tbl", TableClass="STANDARD_INFREQUENT_ACCESS")
    desc = client.describe_table(TableName="tbl")["Table"]
    assert desc["TableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}


def test_delete_table(client, db):
    make_table(client)
    client.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    out = client.delete_table(TableName="tbl")["TableDescription"]
    assert out["TableStatus"] == "DELETING"
    assert client.list_tables()["TableNames"] == []
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName="tbl")
    assert os.listdir(os.path.join(db.path, "tables")) == []
    make_table(client)  # the name is free again, and the new table is empty
    assert client.scan(TableName="tbl")["Items"] == []


def test_deletion_protection(client):
    make_table(client, DeletionProtectionEnabled=True)
    with pytest.raises(client.exceptions.ValidationException):
        client.delete_table(TableName="tbl")
    client.update_table(TableName="tbl", DeletionProtectionEnabled=False)
    client.delete_table(TableName="tbl")


def test_tags(client):
    arn = make_table(client, Tags=[{"Key": "a", "Value": "1"}])["TableDescription"]["TableArn"]
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"},
                                               {"Key": "a", "Value": "3"}])
    tags = client.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "3"), ("b", "2")]
    client.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_tags_of_resource(ResourceArn=arn.replace("/tbl", "/nope"))


def test_catalog_survives_reopen(tmp_path):
    path = tmp_path / "data"
    with dyncore.open(path) as db:
        c = db.client()
        make_table(c, "one")
        make_table(c, "two", sk=None, Tags=[{"Key": "k", "Value": "v"}])
        c.put_item(TableName="one", Item={"pk": {"S": "a"}, "sk": {"N": "1.50"}})
        c.delete_table(TableName="two")
    with dyncore.open(path) as db:
        c = db.client()
        assert c.list_tables()["TableNames"] == ["one"]
        item = c.get_item(TableName="one", Key={"pk": {"S": "a"}, "sk": {"N": "1.5"}})["Item"]
        assert item == {"pk": {"S": "a"}, "sk": {"N": "1.5"}}


def test_garbage_removed_at_open(tmp_path):
    path = tmp_path / "data"
    with dyncore.open(path) as db:
        make_table(db.client())
        table_id = db.client().describe_table(TableName="tbl")["Table"]["TableId"]
    stray_table = path / "tables" / "not-a-table"
    stray_part = path / "tables" / table_id / "p-99"
    stray_table.mkdir()
    stray_part.mkdir()
    with dyncore.open(path) as db:
        assert not stray_table.exists() and not stray_part.exists()
        assert (path / "tables" / table_id / "p-0").exists()


def test_second_open_is_refused(tmp_path):
    with dyncore.open(tmp_path / "d"):
        with pytest.raises(errors.LockedError):
            dyncore.open(tmp_path / "d")


def test_temporary_removes_itself():
    db = dyncore.temporary()
    path = db.path
    make_table(db.client())
    db.close()
    assert not os.path.exists(path)

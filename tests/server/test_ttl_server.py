"""UpdateTimeToLive and DescribeTimeToLive through `dyncore serve` with
boto3: the round trip, DynamoDB's errors as botocore parses them, and the
setting surviving a restart of the server on the same directory."""
import shutil
import tempfile

import pytest
from botocore.exceptions import ClientError

from tests.server.test_server import client, start, stop


def _create(c, name):
    c.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")


def test_ttl_round_trip_over_http():
    data = tempfile.mkdtemp(prefix="dyncore-ttl-srv-")
    try:
        p, port = start("--data-dir", data)
        try:
            c = client(port)
            _create(c, "ttlsrv")
            assert c.describe_time_to_live(TableName="ttlsrv")["TimeToLiveDescription"] == {
                "TimeToLiveStatus": "DISABLED"}
            out = c.update_time_to_live(TableName="ttlsrv", TimeToLiveSpecification={
                "Enabled": True, "AttributeName": "expires"})
            assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
            assert c.describe_time_to_live(TableName="ttlsrv")["TimeToLiveDescription"] == {
                "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
            assert "TimeToLiveDescription" not in c.describe_table(TableName="ttlsrv")["Table"]
            with pytest.raises(ClientError) as e:
                c.update_time_to_live(TableName="ttlsrv", TimeToLiveSpecification={
                    "Enabled": True, "AttributeName": "expires"})
            assert e.value.response["Error"] == {"Code": "ValidationException",
                                                 "Message": "TimeToLive is already enabled"}
            assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            with pytest.raises(ClientError) as e:
                c.update_time_to_live(TableName="ttlsrv", TimeToLiveSpecification={
                    "Enabled": False, "AttributeName": "expires"})
            assert e.value.response["Error"]["Message"] == \
                "Time to live has been modified multiple times within a fixed interval"
            with pytest.raises(c.exceptions.ResourceNotFoundException) as e:
                c.describe_time_to_live(TableName="missing")
            assert e.value.response["Error"]["Message"] == \
                "Requested resource not found: Table: missing not found"
        finally:
            stop(p)
        assert p.returncode == 0
        p, port = start("--data-dir", data)
        try:
            desc = client(port).describe_time_to_live(TableName="ttlsrv")
            assert desc["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED",
                                                     "AttributeName": "expires"}
        finally:
            stop(p)
    finally:
        shutil.rmtree(data, ignore_errors=True)

import pytest

import dyncore


@pytest.fixture
def db(tmp_path):
    d = dyncore.open(tmp_path / "data", sync="none")
    yield d
    d.close()


@pytest.fixture
def client(db):
    return db.client()


def make_table(client, name="tbl", pk=("pk", "S"), sk=("sk", "N"), **extra):
    ks = [{"AttributeName": pk[0], "KeyType": "HASH"}]
    ad = [{"AttributeName": pk[0], "AttributeType": pk[1]}]
    if sk:
        ks.append({"AttributeName": sk[0], "KeyType": "RANGE"})
        ad.append({"AttributeName": sk[0], "AttributeType": sk[1]})
    params = dict(TableName=name, KeySchema=ks, AttributeDefinitions=ad,
                  BillingMode="PAY_PER_REQUEST")
    params.update(extra)
    return client.create_table(**params)

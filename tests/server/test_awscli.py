"""The AWS CLI (awscli from PyPI) against `dyncore serve`: create-table,
put-item, get-item, query, scan, update-item and delete-table, as a user
would type them."""
import json
import os
import subprocess
import sys

import pytest

from tests.server.test_server import start, stop

pytest.importorskip("awscli")


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    p, port = start("--temporary")
    home = tmp_path_factory.mktemp("awshome")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(home / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"), AWS_PAGER="")

    def run(*args):
        out = subprocess.run([sys.executable, "-m", "awscli", "dynamodb", *args,
                              "--endpoint-url", f"http://127.0.0.1:{port}", "--output", "json"],
                             capture_output=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr.decode()
        return json.loads(out.stdout) if out.stdout.strip() else {}
    yield run
    stop(p)


def test_cli_round_trip(aws):
    desc = aws("create-table", "--table-name", "music",
               "--attribute-definitions", "AttributeName=Artist,AttributeType=S",
               "AttributeName=SongTitle,AttributeType=S",
               "--key-schema", "AttributeName=Artist,KeyType=HASH",
               "AttributeName=SongTitle,KeyType=RANGE",
               "--billing-mode", "PAY_PER_REQUEST")
    assert desc["TableDescription"]["TableName"] == "music"
    aws("wait", "table-exists", "--table-name", "music")
    for title, year in (("Call Me Today", "2020"), ("Happy Day", "2021"), ("Blue Sky", "2019")):
        aws("put-item", "--table-name", "music", "--item",
            json.dumps({"Artist": {"S": "Acme Band"}, "SongTitle": {"S": title},
                        "Year": {"N": year}}))
    got = aws("get-item", "--table-name", "music", "--key",
              json.dumps({"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Happy Day"}}))
    assert got["Item"]["Year"] == {"N": "2021"}
    q = aws("query", "--table-name", "music",
            "--key-condition-expression", "Artist = :a AND begins_with(SongTitle, :t)",
            "--expression-attribute-values", json.dumps({":a": {"S": "Acme Band"},
                                                         ":t": {"S": "C"}}))
    assert [i["SongTitle"]["S"] for i in q["Items"]] == ["Call Me Today"]
    up = aws("update-item", "--table-name", "music", "--key",
             json.dumps({"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "Blue Sky"}}),
             "--update-expression", "SET #y = #y + :one",
             "--expression-attribute-names", json.dumps({"#y": "Year"}),
             "--expression-attribute-values", json.dumps({":one": {"N": "1"}}),
             "--return-values", "UPDATED_NEW")
    assert up["Attributes"] == {"Year": {"N": "2020"}}
    scan = aws("scan", "--table-name", "music", "--filter-expression", "#y >= :y",
               "--expression-attribute-names", json.dumps({"#y": "Year"}),
               "--expression-attribute-values", json.dumps({":y": {"N": "2020"}}))
    assert scan["Count"] == 3
    assert "music" in aws("list-tables")["TableNames"]
    aws("delete-table", "--table-name", "music")

"""S3 deploys against a real S3 API served by moto on 127.0.0.1 (no mock of boto3): only changed
files are uploaded, each with its Content-Type and Cache-Control, stale objects are deleted only
with --delete, and a dry run changes nothing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from generator.errors import DeployError
from tests.site.deploy_sites import SITE_FILES, deploy, make_project

BUCKET_NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh bucket on the local server, with test credentials and no user AWS config."""
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE":
                        "/nonexistent"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    s3 = boto3.resource("s3", endpoint_url=endpoint, region_name="us-east-1")
    created = s3.create_bucket(Bucket=f"site-{next(BUCKET_NUMBERS)}")
    yield created
    created.objects.all().delete()
    created.delete()


def url(bucket: Any, endpoint: str, prefix: str = "") -> str:
    return f"s3://{bucket.name}/{prefix}?endpoint={endpoint}&region=us-east-1"


def stored(bucket: Any) -> dict[str, bytes]:
    return {item.key: item.get()["Body"].read() for item in bucket.objects.all()}


def test_the_site_is_uploaded_with_types_and_caching(tmp_path: Path, bucket: Any,
                                                     endpoint: str) -> None:
    project = make_project(tmp_path / "blog")
    outcome = deploy(project, url(bucket, endpoint, "blog/"))
    assert stored(bucket) == {f"blog/{name}": data for name, data in SITE_FILES.items()}
    assert len(outcome.changed) == len(SITE_FILES)

    def head(key: str) -> tuple[str, str]:
        found = bucket.Object(f"blog/{key}")
        return found.content_type, found.cache_control

    assert head("index.html") == ("text/html; charset=utf-8",
                                  "public, max-age=300, must-revalidate")
    assert head("index.xml") == ("application/rss+xml; charset=utf-8",
                                 "public, max-age=300, must-revalidate")
    assert head("2021/tiny/images/dog-480.webp") == ("image/webp", "public, max-age=86400")
    assert head("2021/tiny/images/dog.png") == ("image/png", "public, max-age=86400")
    assert head("style.0123456789abcdef0123.css") == ("text/css; charset=utf-8",
                                                      "public, max-age=31536000, immutable")


def test_the_same_site_deployed_twice_uploads_nothing_the_second_time(
        tmp_path: Path, bucket: Any, endpoint: str) -> None:
    project = make_project(tmp_path / "blog")
    deploy(project, url(bucket, endpoint))
    modified = {item.key: item.last_modified for item in bucket.objects.all()}
    said: list[str] = []
    assert deploy(project, url(bucket, endpoint), said=said).changed == []
    assert said == [f"deploy: {url(bucket, endpoint)}: changed 0 file(s), deleted 0"]
    assert {item.key: item.last_modified for item in bucket.objects.all()} == modified
    (project.root / "site" / "index.html").write_bytes(b"<!doctype html><title>New</title>")
    assert deploy(project, url(bucket, endpoint)).changed == ["index.html"]
    assert stored(bucket)["index.html"] == b"<!doctype html><title>New</title>"


def test_stale_objects_are_deleted_only_with_delete(tmp_path: Path, bucket: Any,
                                                    endpoint: str) -> None:
    project = make_project(tmp_path / "blog")
    bucket.put_object(Key="blog/old.html", Body=b"old")
    bucket.put_object(Key="elsewhere.txt", Body=b"not under the prefix")
    said: list[str] = []
    assert deploy(project, url(bucket, endpoint, "blog"), said=said).kept == ["blog/old.html"]
    assert "not in the site kept (--delete removes them)" in said[-1]
    assert "blog/old.html" in stored(bucket)
    assert deploy(project, url(bucket, endpoint, "blog"), delete=True).deleted == ["blog/old.html"]
    assert set(stored(bucket)) == {"elsewhere.txt", *(f"blog/{name}" for name in SITE_FILES)}


def test_a_dry_run_uploads_and_deletes_nothing(tmp_path: Path, bucket: Any,
                                               endpoint: str) -> None:
    project = make_project(tmp_path / "blog")
    bucket.put_object(Key="old.html", Body=b"old")
    said: list[str] = []
    outcome = deploy(project, url(bucket, endpoint), dry_run=True, delete=True, said=said)
    assert stored(bucket) == {"old.html": b"old"}
    assert (len(outcome.changed), outcome.deleted) == (len(SITE_FILES), ["old.html"])
    assert f"deploy: would upload new s3://{bucket.name}/index.html" in said
    assert f"deploy: would delete s3://{bucket.name}/old.html" in said


def test_a_missing_bucket_is_a_clear_error(tmp_path: Path, bucket: Any, endpoint: str) -> None:
    project = make_project(tmp_path / "blog")
    with pytest.raises(DeployError, match="NoSuchBucket"):
        deploy(project, f"s3://no-such-bucket?endpoint={endpoint}&region=us-east-1")


def test_missing_credentials_are_a_clear_error(tmp_path: Path, bucket: Any, endpoint: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path / "blog")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(DeployError, match="no S3 credentials") as raised:
        deploy(project, url(bucket, endpoint))
    assert "AWS_ACCESS_KEY_ID" in (raised.value.problems[0].hint or "")

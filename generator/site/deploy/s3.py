"""S3 target: `s3://bucket/prefix?endpoint=https://...&region=...` (AWS, Cloudflare R2, MinIO,
Backblaze B2 and any other S3-compatible storage).

Only files whose MD5 differs from the stored object's ETag are uploaded, each with its
Content-Type and a Cache-Control by kind (`caching`); objects the site no longer has are deleted
only with `--delete`. Credentials come from boto3's usual places (AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/...). After uploading, the listing is read again and
must show every file with the ETag its upload returned, so an upload that silently went nowhere
is an error. (Buckets encrypting with SSE-KMS or SSE-C give ETags that are not MD5s: there every
file is uploaded on every deploy.)
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from generator.errors import DeployError, Problem
from generator.site.deploy.caching import cache_control, content_type
from generator.site.deploy.destination import InvalidDestination, Outcome, Say, site_files

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9]$")
QUERY_KEYS = ("endpoint", "region")
DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


@dataclass(frozen=True)
class S3Target:
    """A bucket, a key prefix inside it ("" or ending in "/"), and where to reach it."""

    text: str
    bucket: str
    prefix: str
    endpoint: str | None
    region: str | None

    def publish(self, site: Path, *, dry_run: bool, delete: bool, say: Say) -> Outcome:
        """Upload the changed files, then delete the stale ones when `delete` is given."""
        local = {self.prefix + name: path for name, path in site_files(site).items()}
        digests = {key: _md5(path) for key, path in local.items()}
        with self._errors():
            client = self._client()
            remote = self._listing(client)
            outcome = Outcome(
                changed=[key for key in local if remote.get(key) != digests[key]],
                deleted=[key for key in remote if key not in local] if delete else [],
                kept=[] if delete else [key for key in remote if key not in local])
            for key in outcome.changed:
                say(f"deploy: {'would upload' if dry_run else 'upload'} "
                    f"{'changed' if key in remote else 'new'} s3://{self.bucket}/{key}")
            for key in outcome.deleted:
                say(f"deploy: {'would delete' if dry_run else 'delete'} s3://{self.bucket}/{key}")
            if dry_run:
                return outcome
            expected = dict(digests)
            for key in outcome.changed:
                answer = client.put_object(
                    Bucket=self.bucket, Key=key, Body=local[key].read_bytes(),
                    ContentType=content_type(key), CacheControl=cache_control(key),
                    ContentMD5=base64.b64encode(bytes.fromhex(digests[key])).decode())
                expected[key] = answer["ETag"].strip('"')  # not the MD5 under SSE-KMS/SSE-C
            for start in range(0, len(outcome.deleted), DELETE_BATCH):
                batch = outcome.deleted[start:start + DELETE_BATCH]
                client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": key} for key in batch], "Quiet": True})
            self._verify(self._listing(client), expected, outcome)
        return outcome

    def _client(self) -> Any:
        import boto3  # here: only an S3 deploy pays for importing it
        from botocore.config import Config

        config = Config(connect_timeout=10, read_timeout=60, retries={"max_attempts": 3},
                        s3={"addressing_style": "path"} if self.endpoint else None)
        return boto3.session.Session().client("s3", endpoint_url=self.endpoint,
                                              region_name=self.region, config=config)

    def _listing(self, client: Any) -> dict[str, str]:
        """Every object under the prefix: key -> ETag without its quotes."""
        found: dict[str, str] = {}
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                 Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", ()):
                found[item["Key"]] = item["ETag"].strip('"')
        return found

    def _verify(self, remote: dict[str, str], expected: dict[str, str],
                outcome: Outcome) -> None:
        """The bucket (`remote`) now holds every file with the ETag its upload (or the MD5
        comparison that skipped it) expects, and none of the deleted ones."""
        wrong = [key for key, etag in expected.items() if remote.get(key) != etag]
        wrong += [key for key in outcome.deleted if key in remote]
        if wrong:
            raise DeployError(Problem(self.text, None, None,
                                      f"after uploading, {len(wrong)} object(s) differ from the "
                                      f"site, e.g. {wrong[0]}",
                                      "check the bucket's permissions and run the deploy again"))

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """S3's failures as a DeployError saying what to do."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            yield
        except NoCredentialsError as error:
            raise DeployError(Problem(self.text, None, None, "no S3 credentials found",
                                      "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
                                      "AWS_PROFILE) and run again")) from error
        except ClientError as error:
            detail = error.response.get("Error", {})
            raise DeployError(Problem(self.text, None, None,
                                      f"S3 refused: {detail.get('Code', '?')}: "
                                      f"{detail.get('Message', error)}",
                                      "check the bucket name, region and your access to "
                                      "it")) from error
        except BotoCoreError as error:
            raise DeployError(Problem(self.text, None, None, f"S3 failed: {error}",
                                      "check the endpoint and your network")) from error


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def parse(text: str) -> S3Target:
    """`s3://bucket/prefix?endpoint=...&region=...` as a target."""
    parts = urlsplit(text)
    hint = "write s3://bucket/optional/prefix?endpoint=https://host&region=name"
    if parts.scheme != "s3" or not BUCKET_NAME.match(parts.netloc) or parts.fragment:
        raise InvalidDestination(f"{text!r} is not an S3 destination", hint)
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    unknown = sorted(set(query) - set(QUERY_KEYS))
    repeated = sorted(key for key, values in query.items() if len(values) > 1)
    if unknown or repeated:
        options = ", ".join(unknown + repeated)
        raise InvalidDestination(f"unknown or repeated S3 option(s): {options}",
                                 f"only {' and '.join(QUERY_KEYS)}, each once: {hint}")
    endpoint = query.get("endpoint", [None])[0]
    if endpoint is not None and (urlsplit(endpoint).scheme not in ("http", "https")
                                 or not urlsplit(endpoint).hostname):
        raise InvalidDestination(f"endpoint {endpoint!r} is not an http(s) URL", hint)
    prefix = parts.path.strip("/")
    if any(segment in ("", ".", "..") for segment in prefix.split("/")) and prefix:
        raise InvalidDestination(f"prefix {prefix!r} has an empty, `.` or `..` part", hint)
    return S3Target(text, parts.netloc, f"{prefix}/" if prefix else "", endpoint,
                    query.get("region", [None])[0] or None)

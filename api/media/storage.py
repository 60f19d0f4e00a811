"""Storage backends: a local directory (default) and S3-compatible object storage."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def presigned_url(self, key: str, ttl_s: int, content_type: str) -> str | None: ...


class LocalStorage:
    """Files under a root directory; written atomically (temp file + rename). URLs are signed by the API."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key escapes the root: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def presigned_url(self, key: str, ttl_s: int, content_type: str) -> str | None:
        return None  # served by the API's signed /media route


class S3Storage:
    def __init__(self, *, bucket: str, endpoint_url: str | None, region: str, access_key: str | None,
                 secret_key: str | None):
        import boto3  # imported here: only deployments on S3 pay for it

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region,
                                   aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def presigned_url(self, key: str, ttl_s: int, content_type: str) -> str | None:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type},
            ExpiresIn=ttl_s)


_storage: Storage | None = None


def get_storage() -> Storage:
    global _storage
    if _storage is None:
        from api.config import get_config

        config = get_config()
        if config.MEDIA_BACKEND == "s3":
            _storage = S3Storage(bucket=config.S3_BUCKET, endpoint_url=config.S3_ENDPOINT_URL,
                                 region=config.S3_REGION, access_key=config.S3_ACCESS_KEY_ID,
                                 secret_key=config.S3_SECRET_ACCESS_KEY)
        else:
            _storage = LocalStorage(config.MEDIA_DIR)
    return _storage


def set_storage(storage: Storage | None) -> None:
    """Replace the process's backend (tests, and the S3 backend test against moto's server)."""
    global _storage
    _storage = storage

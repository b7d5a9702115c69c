"""S3Issuer: per-user S3 credentials through STS AssumeRole (AWS, MinIO, Ceph RGW).

Runs on the hub side only, with the hub's own (broad) credentials: those of the boto3
default chain, or ``access_key_id``/``secret_access_key``. For each user it calls
``AssumeRole`` and returns the session's keys, valid ``duration_seconds``, reaching
``s3://bucket/users/{username}/`` and nothing else, in one of two ways:

* **a session policy** (``session_policy=True``, the default): one role for everyone,
  whose own policy reaches the whole notebooks prefix; each session is narrowed to the
  user's prefix (objects ``bucket/users/alice/*``; ``s3:ListBucket`` only with
  ``s3:prefix`` under ``users/alice/``). AWS, MinIO and Ceph RGW apply session policies.
* **one role per user** (``role_arn`` holding ``{username}``, e.g.
  ``arn:aws:iam::123456789012:role/nbshelf-{username}``): each role's own policy names
  its user's prefix. Needed where session policies are ignored (moto, which the tests
  use), and a second fence where they are not. Both can be on at once.

A third layout, one bucket per user (``bucket="nbshelf-{username}"``, ``prefix=""``):
each session or role reaches one bucket; listings need no ``s3:prefix`` condition.

The store URL a user's server opens is ``s3://{bucket}/{prefix}`` with ``{username}``
filled in, so the server never chooses its own prefix. ``sign_url`` signs share links
with the hub's credentials after checking the key lies in the user's prefix, so a link
lasts what the user chose (up to SigV4's 7 days) rather than the session's life.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any

from ..stores.errors import StoreError
from ..stores.location import check_username
from .credentials import IssuedCredentials, IssueRefused

log = logging.getLogger(__name__)

#: SigV4 presigned URLs last at most 7 days.
MAX_LINK_SECONDS = 7 * 86400
_SESSION_NAME = re.compile(r"[^\w+=,.@-]")


def session_policy(bucket: str, prefix: str, partition: str = "aws") -> dict[str, Any]:
    """The policy limiting a session to ``bucket/prefix/``: objects under it (read, write,
    delete, ACLs for public links, multipart uploads) and listings whose prefix lies
    under it (with no prefix: the whole bucket, for a bucket per user)."""
    prefix = prefix.strip("/")
    arn = f"arn:{partition}:s3:::{bucket}"
    listing: dict[str, Any] = {
        "Sid": "NbshelfListOneUser",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": arn,
    }
    if prefix:
        listing["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}/*", prefix]}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NbshelfObjectsOfOneUser",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:GetObjectAcl",
                    "s3:PutObjectAcl",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                "Resource": f"{arn}/{prefix}/*" if prefix else f"{arn}/*",
            },
            listing,
        ],
    }


@dataclass
class S3Issuer:
    """Mints per-user S3 credentials with STS AssumeRole (a :class:`CredentialIssuer`)."""

    #: the bucket; ``{username}`` in it: one bucket per user
    bucket: str
    #: the role to assume; ``{username}`` in it: one role per user
    role_arn: str
    #: the user's prefix in the bucket
    prefix: str = "users/{username}"
    #: how long issued credentials last (AWS: 900 to the role's maximum, 3600 by default)
    duration_seconds: int = 3600
    #: narrow each session to the user's prefix with a session policy
    session_policy: bool = True
    #: S3 endpoint for the users' servers (MinIO, Ceph RGW; None: AWS)
    endpoint_url: str | None = None
    #: STS endpoint (MinIO and Ceph serve STS on the S3 endpoint; None: the S3 one, or AWS)
    sts_endpoint_url: str | None = None
    region: str = "us-east-1"
    #: the hub's own credentials (None: boto3's default chain: env, profile, instance role)
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    #: the hub signs the users' share links (:meth:`sign_url`) with its own credentials
    sign_links: bool = True
    #: AWS partition, for ARNs in the session policy (aws, aws-cn, aws-us-gov)
    partition: str = "aws"
    #: more store options handed to the users' servers (no secrets): ``page_size`` ...
    store_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.bucket or "/" in self.bucket:
            raise ValueError(f"S3Issuer: bucket must be a bucket name, not {self.bucket!r}")
        if not any("{username}" in t for t in (self.prefix, self.role_arn, self.bucket)):
            raise ValueError(
                "S3Issuer: the bucket, the prefix or the role must hold {username}: otherwise "
                "every user gets the same credentials and sees everyone's notebooks"
            )
        if self.duration_seconds < 1:
            raise ValueError("S3Issuer: duration_seconds must be positive")
        self._clients: dict[str, Any] = {}

    # ------------------------------------------------------------ boto3 clients
    def _client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            endpoint = self.endpoint_url
            if service == "sts":
                endpoint = self.sts_endpoint_url or self.endpoint_url
            kwargs: dict[str, Any] = {"region_name": self.region}
            if endpoint:
                kwargs["endpoint_url"] = endpoint
            if self.access_key_id:
                kwargs["aws_access_key_id"] = self.access_key_id
                kwargs["aws_secret_access_key"] = self.secret_access_key
            from botocore.config import Config

            if service == "s3":
                kwargs["config"] = Config(signature_version="s3v4")
            elif self.duration_seconds < 900:
                # botocore refuses durations under AWS's 900 s before asking; STS servers
                # that allow shorter ones (moto in the tests) decide for themselves
                kwargs["config"] = Config(parameter_validation=False)
            self._clients[service] = boto3.client(service, **kwargs)
        return self._clients[service]

    # ------------------------------------------------------------ the contract
    def user_prefix(self, username: str) -> str:
        return self.prefix.replace("{username}", check_username(username)).strip("/")

    def user_bucket(self, username: str) -> str:
        return self.bucket.replace("{username}", check_username(username))

    def issue(self, username: str) -> IssuedCredentials:
        """AssumeRole for ``username``: keys reaching ``bucket/<prefix>/`` only."""
        try:
            prefix, bucket = self.user_prefix(username), self.user_bucket(username)
        except StoreError as e:
            raise IssueRefused(str(e)) from None
        role = self.role_arn.replace("{username}", username)
        args: dict[str, Any] = {
            "RoleArn": role,
            "RoleSessionName": _SESSION_NAME.sub("-", f"nbshelf-{username}")[:64],
            "DurationSeconds": self.duration_seconds,
        }
        if self.session_policy:
            args["Policy"] = json.dumps(session_policy(bucket, prefix, self.partition))
        try:
            answer = self._client("sts").assume_role(**args)
        except Exception as e:  # botocore's ClientError and connection errors
            raise IssueRefused(f"STS AssumeRole of {role} failed: {_reason(e)}") from None
        c = answer["Credentials"]
        expires = c["Expiration"]
        expires = (
            expires.replace(tzinfo=timezone.utc)
            if expires.tzinfo is None
            else expires.astimezone(timezone.utc)
        )
        options: dict[str, Any] = {"region": self.region, **self.store_options}
        if self.endpoint_url:
            options["endpoint_url"] = self.endpoint_url
        if self.sign_links:
            options["hub_signs_links"] = True
        return IssuedCredentials(
            store_url=f"s3://{bucket}/{prefix}".rstrip("/"),
            env={
                "AWS_ACCESS_KEY_ID": c["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
                "AWS_SESSION_TOKEN": c["SessionToken"],
            },
            expires_at=expires,
            options=options,
        )

    def sign_url(self, username: str, key: str, expires_in: int) -> str:
        """A presigned GET of ``key`` signed with the hub's credentials, once ``key`` is
        known to lie in ``username``'s prefix (a full key, as the user's store has it)."""
        if not self.sign_links:
            raise IssueRefused("this hub does not sign links (S3Issuer.sign_links = False)")
        prefix = self.user_prefix(username)
        prefix = prefix + "/" if prefix else ""
        bucket = self.user_bucket(username)
        parts = key.split("/")
        if (
            not key.startswith(prefix)
            or key == prefix
            or any(p in ("", ".", "..") for p in parts)
            or any(ord(ch) < 32 for ch in key)
        ):
            raise IssueRefused(
                f"{username} may not sign a link to {key!r}: not under {bucket}/{prefix}"
            )
        if not 0 < expires_in <= MAX_LINK_SECONDS:
            raise IssueRefused(f"a link lasts 1 s to 7 days, not {expires_in} s")
        try:
            url: str = self._client("s3").generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
            )
        except Exception as e:
            raise IssueRefused(f"the link could not be signed: {_reason(e)}") from None
        return url


def _reason(e: Exception) -> str:
    """An error's code and message, short, never a credential."""
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        err = response.get("Error") or {}
        code, message = err.get("Code", ""), err.get("Message", "")
        return f"{code}: {message}"[:300] if code or message else type(e).__name__
    return type(e).__name__

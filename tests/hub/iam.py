"""The IAM objects a hub admin creates for nbshelf on S3 (docs/jupyterhub.md), made in
moto with its IAM checks on: a bucket, one role per user (moto ignores STS session
policies, so each user's fence is the role's own policy), and the hub's IAM user, which
may assume those roles and read the bucket (to sign share links) and nothing else."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from nbshelf.hub.s3 import S3Issuer, session_policy

ACCOUNT = "123456789012"  # moto's account
ROLE_TEMPLATE = f"arn:aws:iam::{ACCOUNT}:role/nbshelf-{{username}}"
PREFIX = "users/{username}"


def hub_user_policy(bucket: str, role_prefix: str = "nbshelf-") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::{ACCOUNT}:role/{role_prefix}*",
            },
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket.replace('{username}', '*')}/*",
            },
        ],
    }


def trust_policy(hub_user_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": hub_user_arn}, "Action": "sts:AssumeRole"}
        ],
    }


@dataclass
class HubIAM:
    endpoint: str
    bucket: str
    hub_key: tuple[str, str]
    role_arn: str = ROLE_TEMPLATE
    prefix: str = PREFIX

    def issuer(self, **kwargs: Any) -> S3Issuer:
        return S3Issuer(
            bucket=self.bucket,
            role_arn=self.role_arn,
            prefix=self.prefix,
            endpoint_url=self.endpoint,
            access_key_id=self.hub_key[0],
            secret_access_key=self.hub_key[1],
            **kwargs,
        )


def setup_hub_iam(
    moto_iam: Any,
    bucket: str,
    users: list[str],
    *,
    prefix: str = PREFIX,
    role_prefix: str = "nbshelf-",
) -> HubIAM:
    """Create (idempotently) the bucket (one per user if ``bucket`` holds ``{username}``),
    the hub's user and a role per user (``<role_prefix><user>``)."""
    iam = moto_iam.client("iam")
    s3 = moto_iam.client("s3")
    for name in {bucket.replace("{username}", u) for u in users}:
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=name)
    hub_name = f"{role_prefix}hub-{bucket.replace('{username}', 'each')}"
    try:
        hub_arn = iam.create_user(UserName=hub_name)["User"]["Arn"]
        iam.put_user_policy(
            UserName=hub_name,
            PolicyName="nbshelf-hub",
            PolicyDocument=json.dumps(hub_user_policy(bucket, role_prefix)),
        )
    except iam.exceptions.EntityAlreadyExistsException:
        hub_arn = iam.get_user(UserName=hub_name)["User"]["Arn"]
    key = iam.create_access_key(UserName=hub_name)["AccessKey"]
    for user in users:
        role = f"{role_prefix}{user}"
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_role(
                RoleName=role,
                AssumeRolePolicyDocument=json.dumps(trust_policy(hub_arn)),
                MaxSessionDuration=43200,
            )
        # the same statements as the session policy, as the role's own policy
        policy = session_policy(
            bucket.replace("{username}", user), prefix.replace("{username}", user)
        )
        iam.put_role_policy(
            RoleName=role, PolicyName="nbshelf-one-user", PolicyDocument=json.dumps(policy)
        )
    return HubIAM(
        moto_iam.endpoint,
        bucket,
        (key["AccessKeyId"], key["SecretAccessKey"]),
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/{role_prefix}{{username}}",
        prefix=prefix,
    )

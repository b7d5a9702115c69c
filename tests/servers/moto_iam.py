"""moto's S3 server with its IAM checks on: credentials get exactly what their policy
allows, and S3 answers AccessDenied (403) for the rest, as AWS does for a scoped key.

moto enforces IAM once ``INITIAL_NO_AUTH_ACTION_COUNT`` requests have been served: the
first three (made here) create an ``admin`` user with every permission; everything after,
including the users made for the tests, is checked against the IAM policies.

Users (:attr:`MotoIAM.users`, name -> (access key, secret)):

==========  ===============================================================
admin       ``*`` on ``*``
nodelete    S3 read, list, write and copy; no ``s3:DeleteObject``
readonly    S3 read and list only
==========  ===============================================================

moto authorises a bulk delete (DeleteObjects) against the bucket, not each key, so a
policy denying deletes under one folder only is not enforced there: the users differ by
action only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .moto_server import REGION, MotoServer, start_moto

_SETUP_REQUESTS = 3  # create_user, create_access_key, put_user_policy of ``admin``

_READ = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]
STATEMENTS: dict[str, list[dict[str, Any]]] = {
    "admin": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    "nodelete": [{"Effect": "Allow", "Action": [*_READ, "s3:PutObject"], "Resource": "*"}],
    "readonly": [{"Effect": "Allow", "Action": _READ, "Resource": "*"}],
}


@dataclass
class MotoIAM:
    server: MotoServer
    users: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def client(self, service: str, user: str = "admin") -> Any:
        import boto3

        key, secret = self.users[user]
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )

    def stop(self) -> None:
        self.server.stop()


def _add_user(iam: Any, name: str) -> tuple[str, str]:
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": STATEMENTS[name]}
    iam.put_user_policy(
        UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy)
    )
    return key["AccessKeyId"], key["SecretAccessKey"]


def start_moto_iam() -> MotoIAM:
    import boto3

    server = start_moto(
        env={"INITIAL_NO_AUTH_ACTION_COUNT": str(_SETUP_REQUESTS)}, kind="moto (IAM)"
    )
    try:
        anonymous_iam = boto3.client(
            "iam",
            endpoint_url=server.endpoint,
            region_name=REGION,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        out = MotoIAM(server)
        out.users["admin"] = _add_user(anonymous_iam, "admin")  # the 3 unchecked requests
        iam = out.client("iam")
        for name in ("nodelete", "readonly"):
            out.users[name] = _add_user(iam, name)
        return out
    except BaseException:
        server.stop()
        raise

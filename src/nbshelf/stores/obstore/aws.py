"""Resolve S3 settings the way the AWS CLI does, for obstore.

obstore reads ``AWS_*`` environment variables but not ``AWS_PROFILE`` and the
shared config/credentials files, so this module resolves, in order:
explicit options > an explicit ``profile`` option > ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN`` > ``AWS_PROFILE`` (or
``default``) in ``AWS_SHARED_CREDENTIALS_FILE`` / ``AWS_CONFIG_FILE``.
Endpoint: ``endpoint_url`` > ``AWS_ENDPOINT_URL_S3`` > ``AWS_ENDPOINT_URL`` >
the profile's ``endpoint_url``. Region: ``region`` > ``AWS_REGION`` >
``AWS_DEFAULT_REGION`` > the profile's ``region`` > ``us-east-1``.
"""

from __future__ import annotations

import configparser
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import StoreError

DEFAULT_REGION = "us-east-1"
#: The options :func:`resolve` reads (and takes out of the options it is given).
AWS_OPTIONS = (
    "access_key_id",
    "aws_access_key_id",
    "secret_access_key",
    "aws_secret_access_key",
    "session_token",
    "aws_session_token",
    "profile",
    "aws_profile",
    "region",
    "aws_region",
    "endpoint_url",
    "endpoint",
    "aws_endpoint_url_s3",
    "addressing",
    "allow_http",
)


@dataclass
class AwsSettings:
    """What an S3 store needs; ``secret_access_key`` never appears in a message."""

    bucket: str
    region: str = DEFAULT_REGION
    endpoint: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    virtual_hosted: bool = False
    allow_http: bool = False
    credentials_from: str = "obstore's default chain (instance/container/web identity)"


def _profile(name: str, env: Mapping[str, str]) -> dict[str, str] | None:
    """Merge a profile's sections of the credentials and config files (None if absent)."""
    home = Path(env.get("HOME", str(Path.home())))
    creds_file = Path(env.get("AWS_SHARED_CREDENTIALS_FILE", home / ".aws" / "credentials"))
    config_file = Path(env.get("AWS_CONFIG_FILE", home / ".aws" / "config"))
    found: dict[str, str] | None = None
    for path, section in (
        (config_file, "default" if name == "default" else f"profile {name}"),
        (creds_file, name),
    ):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError) as e:
            raise StoreError(f"cannot read AWS file {path}: {type(e).__name__}") from None
        if parser.has_section(section):
            found = {**(found or {}), **dict(parser.items(section))}
    return found


def _is_loopback(host: str | None) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def resolve(
    bucket: str, options: dict[str, object], env: Mapping[str, str] | None = None
) -> AwsSettings:
    """Settings for ``bucket`` from ``options`` (consumed) and the environment."""
    env = os.environ if env is None else env
    s = AwsSettings(bucket=bucket)

    def opt(*names: str) -> str | None:
        for n in names:
            v = options.pop(n, None)
            if v not in (None, ""):
                return str(v)
        return None

    key = opt("access_key_id", "aws_access_key_id")
    secret = opt("secret_access_key", "aws_secret_access_key")
    token = opt("session_token", "aws_session_token")
    explicit_profile = opt("profile", "aws_profile")
    profile_name = explicit_profile or env.get("AWS_PROFILE") or "default"
    profile = _profile(profile_name, env)
    if (explicit_profile or env.get("AWS_PROFILE")) and profile is None:
        raise StoreError(
            f"AWS profile {profile_name!r} not found in the AWS config or credentials file: "
            "check AWS_PROFILE / profile, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"
        )
    profile = profile or {}
    if key and secret:
        s.access_key_id, s.secret_access_key, s.session_token = key, secret, token
        s.credentials_from = "the store options"
    elif key or secret:
        raise StoreError("give both access_key_id and secret_access_key, or neither")
    else:
        from_env = (env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY"))
        from_profile = (profile.get("aws_access_key_id"), profile.get("aws_secret_access_key"))
        if explicit_profile and all(from_profile):
            s.access_key_id, s.secret_access_key = from_profile
            s.session_token = profile.get("aws_session_token")
            s.credentials_from = f"AWS profile {profile_name!r}"
        elif all(from_env):
            s.access_key_id, s.secret_access_key = from_env
            s.session_token = env.get("AWS_SESSION_TOKEN")
            s.credentials_from = "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
        elif all(from_profile):
            s.access_key_id, s.secret_access_key = from_profile
            s.session_token = profile.get("aws_session_token")
            s.credentials_from = f"AWS profile {profile_name!r}"
    s.region = (
        opt("region", "aws_region")
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
        or profile.get("region")
        or DEFAULT_REGION
    )
    endpoint = (
        opt("endpoint_url", "endpoint", "aws_endpoint_url_s3")
        or env.get("AWS_ENDPOINT_URL_S3")
        or env.get("AWS_ENDPOINT_URL")
        or profile.get("endpoint_url")
    )
    addressing = (opt("addressing") or ("path" if endpoint else "virtual")).lower()
    if addressing not in ("path", "virtual"):
        raise StoreError(f"addressing must be 'path' or 'virtual', not {addressing!r}")
    s.virtual_hosted = addressing == "virtual"
    allow_http = options.pop("allow_http", None)
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreError(f"endpoint_url must be http(s)://host[:port], not {endpoint!r}")
        if parts.scheme == "http":
            if allow_http is None:
                allow_http = _is_loopback(parts.hostname)
            if not _truthy(allow_http):
                raise StoreError(
                    f"endpoint {endpoint} is plain http: set allow_http=true to use it "
                    "(requests and data then cross the network unencrypted)"
                )
        if s.virtual_hosted:
            # obstore takes a virtual-hosted endpoint with the bucket already in the host
            netloc = f"{bucket}.{parts.netloc}"
            endpoint = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        s.endpoint = endpoint.rstrip("/")
    s.allow_http = _truthy(allow_http) if allow_http is not None else False
    return s

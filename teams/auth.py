"""Bot Framework authentication, both ways.

Incoming: every activity carries a Bearer JWT that Bot Framework signed. It is accepted only
when its signature verifies with one of the keys the OpenID metadata names (and that key is
endorsed for the activity's channel), its issuer is Bot Framework's, its audience is this
bot's app id, it has not expired (five minutes' clock skew allowed, as Microsoft's own SDKs
allow) and its ``serviceUrl`` claim is the activity's. The keys are fetched from the
metadata's ``jwks_uri``, kept for a day, and fetched again early when a token names a key
not seen yet (at most every five minutes, so forged key ids cannot make golive hammer it).

Outgoing: calls to the connector carry a token from Azure AD's token endpoint (the client
credentials grant with the app id and secret), kept until five minutes before it expires.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt

from store.infra.clock import Clock

log = logging.getLogger("golive.teams.auth")

CLOCK_SKEW = timedelta(minutes=5)
KEYS_KEPT = timedelta(hours=24)
REFETCH_AT_MOST_EVERY = timedelta(minutes=5)
ALGORITHMS = ["RS256"]


class Unauthorized(Exception):
    """A request that cannot be shown to come from Bot Framework for this bot; the reason is
    for the log, never for the caller."""


@dataclass(frozen=True)
class _Key:
    key: Any
    endorsements: frozenset[str]


class ActivityAuth:
    """Validates the Bearer token on an incoming activity."""

    def __init__(
        self,
        *,
        app_id: str,
        openid_url: str,
        issuer: str,
        clock: Clock,
        http: httpx.Client | None = None,
    ) -> None:
        self.app_id = app_id
        self.openid_url = openid_url
        self.issuer = issuer
        self.clock = clock
        self.http = http or httpx.Client(timeout=10)
        self._keys: dict[str, _Key] = {}
        self._fetched_at: datetime | None = None
        self._lock = threading.Lock()

    def check(self, authorization: str | None, activity: dict[str, Any]) -> dict[str, Any]:
        """The token's claims, or ``Unauthorized``."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("no Bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthorized(f"not a JWT ({error})") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized(f"algorithm {header.get('alg')!r} is not accepted")
        key = self._key(str(header.get("kid") or ""))
        channel = str(activity.get("channelId") or "")
        if key.endorsements and channel not in key.endorsements:
            raise Unauthorized(f"the signing key is not endorsed for channel {channel!r}")
        try:
            # Expiry is checked below against golive's clock, which tests set.
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self.app_id,
                issuer=self.issuer,
                options={
                    "require": ["exp", "iss", "aud"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(str(error)) from None
        self._check_times(claims)
        service_url = claims.get("serviceUrl") or claims.get("serviceurl")
        if not service_url or service_url != activity.get("serviceUrl"):
            raise Unauthorized("the serviceUrl claim is not the activity's")
        return claims

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self.clock.now().timestamp()
        skew = CLOCK_SKEW.total_seconds()
        try:
            expires = float(claims["exp"])
            not_before = float(claims.get("nbf", 0))
        except (TypeError, ValueError):
            raise Unauthorized("the token's times are not numbers") from None
        if now > expires + skew:
            raise Unauthorized("the token has expired")
        if now + skew < not_before:
            raise Unauthorized("the token is not valid yet")

    def _key(self, kid: str) -> _Key:
        with self._lock:
            now = self.clock.now()
            stale = self._fetched_at is None or now - self._fetched_at > KEYS_KEPT
            unknown = kid not in self._keys
            may_refetch = self._fetched_at is None or now - self._fetched_at > (
                REFETCH_AT_MOST_EVERY
            )
            if stale or (unknown and may_refetch):
                self._fetch(now)
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized(f"no signing key {kid!r} in the OpenID metadata")
        return key

    def _fetch(self, now: datetime) -> None:
        try:
            config = self.http.get(self.openid_url).raise_for_status().json()
            jwks = self.http.get(str(config["jwks_uri"])).raise_for_status().json()
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as error:
            if self._keys:
                log.warning("could not refresh Bot Framework's keys (%s); keeping the old", error)
                return
            raise Unauthorized(f"could not read the OpenID metadata ({error})") from None
        keys: dict[str, _Key] = {}
        for entry in jwks.get("keys") or []:
            try:
                parsed = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue
            kid = str(entry.get("kid") or "")
            keys[kid] = _Key(parsed.key, frozenset(entry.get("endorsements") or []))
        self._keys = keys
        self._fetched_at = now


class TokenSource:
    """The bot's own token for calls to the Bot Framework connector."""

    def __init__(
        self,
        *,
        app_id: str,
        app_password: str,
        token_url: str,
        scope: str,
        clock: Clock,
        http: httpx.Client | None = None,
    ) -> None:
        self.app_id = app_id
        self.app_password = app_password
        self.token_url = token_url
        self.scope = scope
        self.clock = clock
        self.http = http or httpx.Client(timeout=10)
        self._token: str | None = None
        self._until: datetime | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            now = self.clock.now()
            if self._token is None or self._until is None or now >= self._until:
                self._token, self._until = self._fetch(now)
            return self._token

    def forget(self) -> None:
        """Drop the kept token (the connector refused it), so the next call asks afresh."""
        with self._lock:
            self._token = None

    def _fetch(self, now: datetime) -> tuple[str, datetime]:
        answer = self.http.post(
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.app_id,
                "client_secret": self.app_password,
                "scope": self.scope,
            },
        )
        answer.raise_for_status()
        body = answer.json()
        lifetime = timedelta(seconds=int(body.get("expires_in", 3600)))
        return str(body["access_token"]), now + lifetime - CLOCK_SKEW

"""Platform public keys (JWKS), fetched over HTTPS and cached in the shared launch cache.

Platforms rotate their keys. Two events trigger a refetch of the platform's key set:

* an id_token with a ``kid`` we do not know — at most once per ``refetch_interval`` **per (registration, kid)**,
  so a request with a made-up kid spends only its own allowance, never that of the platform's real new kid;
* a signature that does not verify with the cached key of a known kid (a platform that replaced its key under
  the same kid) — once per ``refetch_interval`` per (registration, kid), then the token is checked once more.

Both share a per-registration spacing (``refetch_spacing``, 5 s; 0 = off): a flood of tokens with made-up kids
cannot make us hammer the platform, and it cannot keep a real new kid out for longer than the spacing either —
every refetch it causes brings the platform's current key set into the cache. All limits live in the shared
launch cache, across processes.

A key found is also remembered in the process for ``MEMO_SECONDS``, so a launch needs no cache read for it;
the shared cache keeps a key set for ``cache_ttl`` anyway, so this adds no new staleness worth the name.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
from typing import Callable

import requests
from jwcrypto.jwk import JWK

from .cache import LaunchCache
from .errors import LaunchError
from .memo import TtlMemo

log = logging.getLogger(__name__)

MAX_JWKS_BYTES = 256 * 1024
MEMO_SECONDS = 60.0


def _http_get_json(url: str) -> dict:
    resp = requests.get(url, timeout=5, headers={"Accept": "application/json"})
    resp.raise_for_status()
    if len(resp.content) > MAX_JWKS_BYTES:
        raise ValueError("key set too large")
    return resp.json()


class PlatformKeys:
    def __init__(
        self,
        cache: LaunchCache,
        refetch_interval: int = 60,
        cache_ttl: int = 3600,
        fetch: Callable[[str], dict] = _http_get_json,
        refetch_spacing: int = 5,
    ):
        self.cache = cache
        self.refetch_interval = refetch_interval
        self.refetch_spacing = refetch_spacing
        self.cache_ttl = cache_ttl
        self.fetch = fetch
        self._memo = TtlMemo(MEMO_SECONDS, max_entries=1000)

    def _fetch(self, registration_id: str, url: str) -> list[dict]:
        try:
            data = self.fetch(url)
            keys = [k for k in data.get("keys", []) if isinstance(k, dict)]
        except (requests.RequestException, ValueError, AttributeError) as exc:
            log.warning("jwks fetch failed registration=%s error=%s", registration_id, type(exc).__name__)
            raise LaunchError("unknown_key", 401, "platform key set unavailable") from exc
        self.cache.set("jwks:" + registration_id, keys, self.cache_ttl)
        log.info("jwks fetched registration=%s keys=%d", registration_id, len(keys))
        return keys

    def public_key_pem(self, registration_id: str, key_set_url: str, kid: str) -> bytes:
        """The PEM of the RSA key ``kid``; raises LaunchError(unknown_key) if it is not published."""
        memo_key = (registration_id, key_set_url, kid)
        pem = self._memo.get(memo_key)
        if pem is None:
            pem = self._lookup(registration_id, key_set_url, kid)
            self._memo.put(memo_key, pem)
        return pem

    def _lookup(self, registration_id: str, key_set_url: str, kid: str) -> bytes:
        keys = self.cache.get("jwks:" + registration_id)
        if keys is None:
            # A cold fetch does not count against the refetch budget: a platform that rotated
            # its key just after we first fetched must still get its new kid looked up.
            keys = self._fetch(registration_id, key_set_url)
        found = _find(keys, kid)
        if found is None and self._may_refetch(registration_id, "kid", kid):
            keys = self._fetch(registration_id, key_set_url)
            found = _find(keys, kid)
        if found is None:
            raise LaunchError("unknown_key", 401, "kid not in platform key set")
        return _pem_of(found)

    def refetch_after_failure(self, registration_id: str, key_set_url: str, kid: str, failed_pem: bytes) -> bytes | None:
        """After a signature failure with the cached key of ``kid``: the key published now, if a refetch is allowed
        and brought a different key under that kid; else None (the failure stands)."""
        if not self._may_refetch(registration_id, "signature", kid):
            return None
        found = _find(self._fetch(registration_id, key_set_url), kid)
        if found is None:
            return None
        pem = _pem_of(found)
        self._memo.put((registration_id, key_set_url, kid), pem)
        return None if pem == failed_pem else pem

    def _may_refetch(self, registration_id: str, reason: str, kid: str) -> bool:
        """Once per interval per (registration, reason, kid), and at most one refetch per registration every
        ``refetch_spacing`` seconds; an allowance is only spent when the refetch happens."""
        digest = hashlib.sha256(kid.encode("utf-8", "replace")).hexdigest()[:32]
        own = f"jwks-refetch:{registration_id}:{reason}:{digest}"
        if not self.cache.add(own, 1, self.refetch_interval):
            return False
        if self.refetch_spacing > 0 and not self.cache.add(f"jwks-refetch:{registration_id}", 1, self.refetch_spacing):
            self.cache.delete(own)  # not spent: the registration's spacing refused it
            return False
        return True


def _pem_of(found: dict) -> bytes:
    try:
        return _pem(json.dumps(found, sort_keys=True))
    except Exception as exc:  # malformed key material from the platform
        raise LaunchError("unknown_key", 401, "unusable platform key") from exc


@functools.lru_cache(maxsize=64)
def _pem(jwk_json: str) -> bytes:
    # Parsing a JWK with jwcrypto costs about 0.5 ms; the same published key is converted once per process.
    return JWK.from_json(jwk_json).export_to_pem()


def _find(keys: list[dict], kid: str) -> dict | None:
    for key in keys:
        # RS256 only: a key announced for another algorithm is not used for id_tokens.
        if key.get("kid") == kid and key.get("kty") == "RSA" and key.get("alg", "RS256") == "RS256":
            return key
    return None

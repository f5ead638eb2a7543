"""URL normalisation: one spelling per source post, so duplicates can be found.

Public API
----------
``normalize_url(url: str) -> str``
    The canonical spelling of ``url`` used for ``Article.via_normalized`` and
    ``FeedEntry.url_normalized``. Raises ``ValueError`` when the URL cannot be parsed
    (bad port, invalid host name). Idempotent: ``normalize_url(normalize_url(u)) ==
    normalize_url(u)``.

``host_of(url: str) -> str``
    The normalised host (lower case, punycode, no trailing dot, no port) or ``""``.

What it does to an http(s) URL
------------------------------
* scheme and host lower case, IDN host → punycode, trailing dot on the host dropped,
  default port (80/443) dropped; ``www.`` is kept (it can be a different site);
* tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid`` … see
  ``TRACKING_PARAMS``) removed, the remaining query parameters sorted;
* the fragment dropped, a trailing slash dropped (the root path ``/`` becomes empty),
  ``.`` and ``..`` segments resolved, percent-encoding normalised (unreserved characters
  decoded, other escapes upper case, unsafe characters encoded as UTF-8);
* AMP variants folded onto the canonical page: Google AMP cache
  (``*.cdn.ampproject.org/c/s/host/path``, ``google.com/amp/s/host/path``), an ``amp``
  path segment (``/amp/…`` or a trailing ``/amp``), ``?amp`` / ``?amp=1``,
  ``outputType=amp`` and the ``amp.`` subdomain of the hosts in ``AMP_SUBDOMAIN_HOSTS``.

Other schemes (``mailto:``, ``ftp:`` …) only get their scheme lower-cased and the
surrounding whitespace stripped.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

import idna

__all__ = ["AMP_SUBDOMAIN_HOSTS", "TRACKING_PARAMS", "host_of", "normalize_url"]

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid", "twclid",
        "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "_ga", "_gl", "_hsenc", "_hsmi",
        "spm", "scm", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid",
        "s_cid", "cmpid", "soc_src", "soc_trk", "rb_clickid", "share", "si",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")
# Sites that serve an AMP copy of every page on an ``amp.`` subdomain.
AMP_SUBDOMAIN_HOSTS = frozenset(
    {
        "theguardian.com", "cnn.com", "reddit.com", "businessinsider.com", "zdnet.com",
        "independent.co.uk", "mirror.co.uk", "express.co.uk", "usatoday.com",
        "thehindu.com", "livemint.com", "ndtv.com", "timesofindia.indiatimes.com",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path (RFC 3986 pchar plus "/").
_PATH_SAFE = "/:@!$&'()*+,;="
# In a query key or value "&", "=", "+" and "#" must stay encoded.
_QUERY_SAFE = "/:@!$'()*,;?"
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_AMP_CACHE_RE = re.compile(r"^/[cv]/(s/)?([^/]+)(/.*)?$")
_GOOGLE_AMP_RE = re.compile(r"^/amp/(s/)?([^/]+)(/.*)?$")
_MAX_UNWRAP = 4


def normalize_url(url: str) -> str:
    text = url.strip()
    for _ in range(_MAX_UNWRAP):
        parts = _split(text)
        if parts.scheme not in DEFAULT_PORTS:
            return _normalize_other(text, parts)
        unwrapped = _unwrap_amp_cache(parts)
        if unwrapped is None:
            return _normalize_http(parts)
        text = unwrapped
    return _normalize_http(_split(text))


def host_of(url: str) -> str:
    try:
        parts = _split(url.strip())
        return _normalize_host(parts.hostname or "")
    except ValueError:
        return ""


def _split(text: str) -> SplitResult:
    parts = urlsplit(text)
    parts.port  # noqa: B018 — raises ValueError for a port out of range or not a number
    return parts


def _normalize_other(text: str, parts: SplitResult) -> str:
    if not parts.scheme:
        return text
    return parts.scheme + text[len(parts.scheme):]


def _unwrap_amp_cache(parts: SplitResult) -> str | None:
    host = (parts.hostname or "").lower().rstrip(".")
    if host.endswith(".cdn.ampproject.org"):
        match = _AMP_CACHE_RE.match(parts.path)
    elif host in ("google.com", "www.google.com"):
        match = _GOOGLE_AMP_RE.match(parts.path)
    else:
        return None
    if not match:
        return None
    scheme = "https" if match.group(1) else "http"
    inner = f"{scheme}://{match.group(2)}{match.group(3) or ''}"
    if parts.query:
        inner += "?" + parts.query
    return inner


def _normalize_http(parts: SplitResult) -> str:
    scheme = parts.scheme
    host = _normalize_host(parts.hostname or "")
    labels = host.split(".")
    if labels[0] == "amp" and ".".join(labels[1:]) in AMP_SUBDOMAIN_HOSTS:
        host = ".".join(labels[1:])
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{_normalize_percent(userinfo, ':!$&()*+,;=')}@{netloc}"
    path = _normalize_path(parts.path)
    query = _normalize_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _normalize_host(host: str) -> str:
    host = unquote(host).strip().rstrip(".").lower()
    if not host:
        return ""
    if ":" in host:  # an IPv6 literal (urlsplit already removed the brackets)
        address, _, zone = host.partition("%")
        try:
            compressed = ipaddress.IPv6Address(address).compressed
        except ValueError as exc:
            raise ValueError(f"invalid IPv6 host {host!r}") from exc
        return f"{compressed}%{zone}" if zone else compressed
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"invalid host name {host!r}") from exc


def _normalize_percent(text: str, safe: str) -> str:
    """Decode escapes of unreserved characters, keep the others (upper case), encode the rest."""
    out: list[str] = []
    pos = 0
    for match in _ESCAPE_RE.finditer(text):
        out.append(_quote_raw(text[pos:match.start()], safe))
        char = chr(int(match.group(1), 16))
        out.append(char if char in _UNRESERVED else "%" + match.group(1).upper())
        pos = match.end()
    out.append(_quote_raw(text[pos:], safe))
    return "".join(out)


def _quote_raw(text: str, safe: str) -> str:
    # A "%" that does not start an escape is a literal percent sign.
    return quote(text, safe=safe, errors="strict")


def _normalize_path(path: str) -> str:
    path = _normalize_percent(path, _PATH_SAFE)
    segments = _remove_dot_segments(path.split("/"))
    segments = _fold_amp_segments(segments)
    path = "/".join(segments).rstrip("/")
    if path and not path.startswith("/"):
        path = "/" + path
    return path


def _remove_dot_segments(segments: list[str]) -> list[str]:
    out: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                out.append("")
            continue
        if segment == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
            continue
        out.append(segment)
    return out


def _fold_amp_segments(segments: list[str]) -> list[str]:
    # ["", "amp", "2020", "post"] (leading /amp/) and ["", "post", "amp"] (trailing /amp).
    while len(segments) > 2 and segments[1].lower() == "amp":
        segments = [segments[0], *segments[2:]]
    while segments and (segments[-1] == "" or (len(segments) > 1 and segments[-1].lower() == "amp")):
        segments = segments[:-1]
    return segments


def _normalize_query(query: str) -> str:
    if not query:
        return ""
    pairs: list[tuple[str, str | None]] = []
    for item in query.split("&"):
        if not item:
            continue
        raw_key, eq, raw_value = item.partition("=")
        key = unquote(raw_key.replace("+", " "))
        value = unquote(raw_value.replace("+", " ")) if eq else None
        if _is_tracking(key, value):
            continue
        pairs.append((key, value))
    pairs.sort(key=lambda pair: (pair[0], pair[1] is not None, pair[1] or ""))
    return "&".join(
        quote(key, safe=_QUERY_SAFE) + ("" if value is None else "=" + quote(value, safe=_QUERY_SAFE))
        for key, value in pairs
    )


def _is_tracking(key: str, value: str | None) -> bool:
    lowered = key.lower()
    if lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES):
        return True
    if lowered == "amp" and (value is None or value in ("", "1", "true")):
        return True
    return lowered == "outputtype" and (value or "").lower() == "amp"

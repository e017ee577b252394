"""Gate "copy-source": a verified record names the primary source in ``url``, not a copy of it.

The hosts known to hold copies of other publishers' documents (personal repositories,
resellers, document and slide mirrors, news sites reproducing an announcement) are data,
each with its reason, in ``lineage/copy_hosts.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from ..errors import ZooError, shown
from ..zoo.yaml_io import read_yaml

HOSTS_FILE = Path(__file__).with_name("copy_hosts.yaml")
GATE = "copy-source"
FIX = ("name the primary source in url and move the copy to evidence_url (with 'retrieved' when "
       "known); if no primary can be found, say so in notes and remove 'verified'")


@dataclass(frozen=True)
class CopyHost:
    """A host, optionally with leading path segments, known to hold copies."""

    host: str
    path: tuple[str, ...]
    reason: str
    label: str  # as written in the list, for messages

    def matches(self, url: str) -> bool:
        host, path = _split(url)
        return host == self.host and path[:len(self.path)] == self.path


def _split(url: str) -> tuple[str, tuple[str, ...]]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return host, tuple(segment.lower() for segment in parts.path.split("/") if segment)


def load_copy_hosts(path: Path = HOSTS_FILE) -> list[CopyHost]:
    """Read the list of copy hosts; ZooError naming the file and the entry when it is wrong."""
    raw = read_yaml(path) or {}
    hosts = raw.get("hosts") if isinstance(raw, dict) else None
    if not isinstance(hosts, dict) or set(raw) != {"hosts"}:
        raise ZooError("the copy-host list must be a mapping with one key 'hosts'", file=str(path),
                       fix="write 'hosts:' followed by one 'host[/owner]: reason' line per host")
    out = []
    for key, reason in hosts.items():
        if not isinstance(key, str) or not key.strip() or "://" in key:
            raise ZooError(f"copy host {shown(key)} is not a host name", file=str(path),
                           fix="give a host with optional leading path, e.g. github.com/someone")
        if not isinstance(reason, str) or not reason.strip():
            raise ZooError(f"copy host {key!r} has no reason", file=str(path), field=key,
                           fix="say why the host is not a primary source")
        host, *path_parts = [part for part in key.strip().lower().split("/") if part]
        out.append(CopyHost(host.removeprefix("www."), tuple(path_parts), reason.strip(),
                            key.strip().strip("/")))
    return out


def copy_host_of(url: str | None, hosts: Iterable[CopyHost]) -> CopyHost | None:
    """The copy host ``url`` is on (the most specific entry), or None."""
    if not url:
        return None
    found = [host for host in hosts if host.matches(url)]
    return max(found, key=lambda host: len(host.path)) if found else None


def check_copies(records: Iterable[tuple[str, Any, list[str]]], hosts: list[CopyHost]):
    """Yield (label, problem, fix) for each verified evidence-backed record citing a copy host.

    ``records`` are (label, provenance, paths of the numbers citing it) triples.
    """
    for label, provenance, paths in records:
        if not (provenance.evidence_backed and provenance.verified):
            continue
        host = copy_host_of(provenance.url, hosts)
        if host is None:
            continue
        cited = f"; cited by {len(paths)} number(s), e.g. {paths[0]}" if paths else ""
        yield (label, f"url {provenance.url} is on {host.label}, a known copy host "
                      f"({host.reason}){cited}", FIX)

"""The Teams app package: the manifest (the bot, the message extension action, the scopes)
and its two icons, zipped for a Teams admin to upload."""

import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teams.reporting import MESSAGE_ACTION
from teams.settings import TeamsSettings

MANIFEST_VERSION = "1.17"
SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/"
    f"v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
APP_VERSION = "1.0.0"
ACCENT = (46, 125, 50)
"""golive's green, the colour icon's background and the accent Teams draws around it."""
COLOR_SIZE, OUTLINE_SIZE = 192, 32
"""Teams wants a 192x192 colour icon and a 32x32 outline icon (white on transparent)."""
SCOPES = ["personal", "team", "groupChat"]


@dataclass(frozen=True)
class Developer:
    """Who publishes the app, as Teams shows it in the store listing."""

    name: str
    website: str
    privacy: str
    terms: str

    def check(self) -> None:
        for label, url in (("website", self.website), ("privacy", self.privacy)):
            if not url.startswith("https://"):
                raise ValueError(f"The {label} address must start with https:// ('{url}')")
        if not self.terms.startswith("https://"):
            raise ValueError(f"The terms of use address must start with https:// ('{self.terms}')")


def manifest(settings: TeamsSettings, developer: Developer) -> dict[str, Any]:
    app_id = str(settings.app_id)
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": APP_VERSION,
        "id": app_id,
        "developer": {
            "name": developer.name,
            "websiteUrl": developer.website,
            "privacyUrl": developer.privacy,
            "termsOfUseUrl": developer.terms,
        },
        "name": {"short": "golive", "full": "golive: safe go-live of your care system"},
        "description": {
            "short": "Report and triage go-live issues with your care management system",
            "full": (
                "golive governs a care provider's go-live with a new electronic care management "
                "system: staff report problems from any chat or message, the triage team assigns, "
                "controls and closes them with evidence, and managers hear at once when care "
                "safety is at risk."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": SCOPES,
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": SCOPES,
                        "commands": [
                            {"title": "report", "description": "Report a go-live problem"},
                            {"title": "help", "description": "What golive can do in Teams"},
                        ],
                    }
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": app_id,
                "commands": [
                    {
                        "id": MESSAGE_ACTION,
                        "type": "action",
                        "title": "Report go-live issue",
                        "description": "Report this message as a go-live issue",
                        "context": ["message"],
                        "fetchTask": True,
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def build_package(settings: TeamsSettings, out: Path, *, developer: Developer) -> Path:
    settings.require()
    developer.check()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest(settings, developer), indent=2))
        package.writestr("color.png", _icon(COLOR_SIZE, background=(*ACCENT, 255)))
        package.writestr("outline.png", _icon(OUTLINE_SIZE, background=(0, 0, 0, 0)))
    return out


def _icon(size: int, *, background: tuple[int, int, int, int]) -> bytes:
    """A white ring (golive's mark) on ``background``, as an RGBA PNG."""
    centre, outer, inner = (size - 1) / 2, size * 0.40, size * 0.26
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type: none
        for x in range(size):
            distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            row += bytes((255, 255, 255, 255) if inner <= distance <= outer else background)
        rows.append(bytes(row))
    return _png(size, size, b"".join(rows))


def _png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )

"""Call transfer: REFER (RFC 3515) with Replaces (RFC 3891) and NOTIFY carrying message/sipfrag.

Blind transfer is a REFER whose Refer-To is the new target; attended transfer adds the Replaces of the
consultation dialog to that URI. The transferee reports progress with NOTIFYs whose body is the status
line of its new INVITE (`sipfrag_notify`), and `parse_sipfrag` reads it back on the transferor's side.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from okc.sip.dialog import Dialog, DialogError
from okc.sip.headers import NameAddr, Via
from okc.sip.message import Request
from okc.sip.uri import SipUri, unescape

__all__ = ["ReferTo", "Replaces", "parse_sipfrag", "refer_request", "sipfrag_notify"]

_SAFE = "-_.!~*'()"


@dataclass(frozen=True, slots=True)
class Replaces:
    """The Replaces header (RFC 3891): the dialog to replace, named from its own UAS's view."""

    call_id: str
    to_tag: str
    from_tag: str
    early_only: bool = False

    @classmethod
    def parse(cls, text: str) -> Replaces:
        """Parse `call-id;to-tag=x;from-tag=y[;early-only]`."""
        call_id, *params = [p.strip() for p in text.split(";")]
        values: dict[str, str | None] = {}
        for param in params:
            name, eq, value = param.partition("=")
            values[name.strip().lower()] = value.strip() if eq else None
        to_tag, from_tag = values.get("to-tag"), values.get("from-tag")
        if not call_id or not to_tag or not from_tag:
            raise DialogError(f"Replaces needs a Call-ID, to-tag and from-tag: {text!r}", 400)
        return cls(call_id, to_tag, from_tag, "early-only" in values)

    @classmethod
    def of(cls, dialog: Dialog) -> Replaces:
        """The Replaces that names `dialog` for its remote party (their local tag is our remote tag)."""
        return cls(dialog.id.call_id, dialog.id.remote_tag, dialog.id.local_tag)

    def matches(self, dialog: Dialog) -> bool:
        """Whether an INVITE with this Replaces targets `dialog` (as seen by the receiving side)."""
        ident = dialog.id
        return (ident.call_id, ident.local_tag, ident.remote_tag) == (
            self.call_id,
            self.to_tag,
            self.from_tag,
        )

    def __str__(self) -> str:
        early = ";early-only" if self.early_only else ""
        return f"{self.call_id};to-tag={self.to_tag};from-tag={self.from_tag}{early}"


@dataclass(frozen=True, slots=True)
class ReferTo:
    """A Refer-To target: where to send the new INVITE, and the Replaces it must carry (attended)."""

    target: SipUri
    replaces: Replaces | None = None

    @classmethod
    def of(cls, request: Request) -> ReferTo:
        """The Refer-To of a REFER (exactly one; 400 otherwise), with any embedded Replaces."""
        values = request.headers.get_all("Refer-To") or request.headers.get_all("r")
        if len(values) != 1:
            raise DialogError("REFER needs exactly one Refer-To", 400)
        uri = NameAddr.parse(values[0]).uri
        if not isinstance(uri, SipUri):
            raise DialogError(f"okc transfers only to SIP URIs, not {uri}", 400)
        replaces = next((unescape(v) for k, v in uri.headers if k.lower() == "replaces"), None)
        return cls(uri.without_headers(), Replaces.parse(replaces) if replaces is not None else None)

    def __str__(self) -> str:
        if self.replaces is None:
            return f"<{self.target}>"
        escaped = quote(str(self.replaces), safe=_SAFE)
        uri = SipUri(
            self.target.host,
            self.target.user,
            self.target.password,
            self.target.port,
            self.target.params,
            (("Replaces", escaped),),
            self.target.scheme,
        )
        return f"<{uri}>"


def refer_request(
    dialog: Dialog, via: Via, refer_to: ReferTo, referred_by: NameAddr | None = None
) -> Request:
    """An in-dialog REFER (blind transfer, or attended when `refer_to` carries Replaces)."""
    extra = [("Refer-To", str(refer_to))]
    if referred_by is not None:
        extra.append(("Referred-By", str(referred_by)))
    return dialog.create_request("REFER", via, extra=tuple(extra))


def sipfrag_notify(
    dialog: Dialog, via: Via, refer_seq: int, status: int, reason: str, *, expires: int = 60
) -> Request:
    """A NOTIFY reporting the transfer's INVITE status; a final status (>= 200) ends the subscription."""
    if not 100 <= status <= 699:
        raise DialogError(f"invalid status for sipfrag: {status}", 500)
    state = f"active;expires={expires}" if status < 200 else "terminated;reason=noresource"
    extra = (("Event", f"refer;id={refer_seq}"), ("Subscription-State", state))
    body = f"SIP/2.0 {status} {reason}\r\n".encode()
    return dialog.create_request(
        "NOTIFY", via, extra=extra, body=body, content_type="message/sipfrag;version=2.0"
    )


def parse_sipfrag(body: bytes) -> int:
    """The status code of a message/sipfrag body's status line."""
    line = body.split(b"\r\n", 1)[0].split(b"\n", 1)[0].decode("utf-8", "replace")
    parts = line.split(" ", 2)
    if len(parts) < 2 or parts[0] != "SIP/2.0" or not parts[1].isdigit() or not 100 <= int(parts[1]) <= 699:
        raise DialogError(f"invalid sipfrag status line {line!r}", 400)
    return int(parts[1])

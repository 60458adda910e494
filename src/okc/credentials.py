"""User credentials: salted password hashes, SIP digest HA1 values and generated passwords.

A password is never stored in clear text. The configuration keeps a salted scrypt hash (to check a web or
API login) and the SIP digest HA1 for the center's realm, one per algorithm (MD5 and SHA-256, RFC 8760),
so the softswitch can answer a digest challenge without the password. Stored hash format:
``scrypt$<n>$<r>$<p>$<salt base64>$<hash base64>``.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

from okc.errors import OkcError

__all__ = [
    "CredentialError",
    "Credentials",
    "GeneratedPassword",
    "HA1Algorithm",
    "PasswordHash",
    "digest_ha1",
    "generate_password",
    "hash_password",
    "make_credentials",
    "verify_password",
]

# scrypt cost: n=2**14, r=8, p=1 uses 16 MiB and about 50 ms — the interactive-login setting of RFC 7914.
_DEFAULT_N = 1 << 14
_DEFAULT_R = 8
_DEFAULT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_MAX_MEM = 256 * 1024 * 1024
# Letters and digits without look-alikes (0/O, 1/l/I), so a printed password can be typed without doubt.
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


class CredentialError(OkcError):
    """A malformed stored hash, an unknown digest algorithm or an unusable password."""


class HA1Algorithm(enum.Enum):
    """The hash an HA1 is stored under: MD5 and SHA-256 (RFC 8760).

    okc.sip.auth.DigestAlgorithm names what goes on the wire, -sess variants included; its `base` is the
    stored algorithm with the same value, so `HA1Algorithm(wire.base.value)` picks the HA1 to use.
    """

    MD5 = "MD5"
    SHA_256 = "SHA-256"

    @classmethod
    def parse(cls, text: str) -> HA1Algorithm:
        """The algorithm named in a challenge (case-insensitive; the -sess variants are not supported)."""
        for member in cls:
            if member.value.lower() == text.strip().lower():
                return member
        raise CredentialError(f"unsupported digest algorithm: {text!r}")

    def hexdigest(self, data: str) -> str:
        """H(data) for this algorithm, as lower-case hex (RFC 7616 section 3.4.2)."""
        name = "md5" if self is HA1Algorithm.MD5 else "sha256"
        return hashlib.new(name, data.encode("utf-8"), usedforsecurity=False).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as exc:
        raise CredentialError(f"bad base64 in password hash: {exc}") from None


@dataclass(frozen=True, slots=True)
class PasswordHash:
    """A salted scrypt password hash; validates its parameters on construction."""

    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise CredentialError(f"scrypt n must be a power of two above 1, not {self.n}")
        if not 1 <= self.r <= 64 or not 1 <= self.p <= 64:
            raise CredentialError(f"scrypt r and p must be 1..64, not r={self.r} p={self.p}")
        if 128 * self.r * self.n > _MAX_MEM:
            raise CredentialError("scrypt parameters need more memory than okc allows")
        if len(self.salt) < 8:
            raise CredentialError("password salt must be at least 8 bytes")
        if len(self.digest) < 16:
            raise CredentialError("password hash must be at least 16 bytes")

    @classmethod
    def parse(cls, text: str) -> PasswordHash:
        """Read the ``scrypt$n$r$p$salt$hash`` form."""
        parts = text.split("$")
        if len(parts) != 6 or parts[0] != "scrypt":
            raise CredentialError("password hash must look like scrypt$n$r$p$salt$hash")
        try:
            n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        except ValueError:
            raise CredentialError("scrypt n, r and p must be integers") from None
        return cls(n, r, p, _unb64(parts[4]), _unb64(parts[5]))

    def __str__(self) -> str:
        return f"scrypt${self.n}${self.r}${self.p}${_b64(self.salt)}${_b64(self.digest)}"

    def matches(self, password: str) -> bool:
        """True when password hashes to this digest (compared in constant time)."""
        candidate = _scrypt(password, self.salt, self.n, self.r, self.p, length=len(self.digest))
        return hmac.compare_digest(candidate, self.digest)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, *, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEM, dklen=length)


def hash_password(
    password: str, *, salt: bytes | None = None, n: int = _DEFAULT_N, r: int = _DEFAULT_R, p: int = _DEFAULT_P
) -> str:
    """Hash password with a fresh random salt (or the given one, for reproducible tests)."""
    if not password:
        raise CredentialError("password must not be empty")
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    PasswordHash(n, r, p, salt, bytes(_HASH_BYTES))  # validate the parameters before the costly hash
    return str(PasswordHash(n, r, p, salt, _scrypt(password, salt, n, r, p, length=_HASH_BYTES)))


def verify_password(password: str, stored: str) -> bool:
    """True when password matches the stored hash; a malformed hash raises CredentialError."""
    return PasswordHash.parse(stored).matches(password)


def digest_ha1(username: str, realm: str, password: str, algorithm: HA1Algorithm = HA1Algorithm.MD5) -> str:
    """HA1 = H(username ":" realm ":" password) of RFC 7616 / RFC 8760, lower-case hex."""
    return algorithm.hexdigest(f"{username}:{realm}:{password}")


def generate_password(length: int = 16) -> str:
    """A random password of letters and digits (about 5.8 bits each) that has at least one of each kind."""
    if length < 8:
        raise CredentialError(f"generated passwords have at least 8 characters, not {length}")
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


@dataclass(frozen=True, slots=True)
class GeneratedPassword:
    """A password okc generated for a user, to be shown once: only its hash and HA1 values are kept."""

    login: str
    extension: str | None
    password: str


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the configuration stores for one user: the password hash and both HA1 values."""

    password_hash: str
    ha1_md5: str
    ha1_sha256: str

    def ha1(self, algorithm: HA1Algorithm) -> str:
        """The stored HA1 for algorithm (what a digest server's HA1 lookup returns)."""
        return self.ha1_md5 if algorithm is HA1Algorithm.MD5 else self.ha1_sha256


def make_credentials(login: str, realm: str, password: str, *, n: int = _DEFAULT_N) -> Credentials:
    """Hash a password for login in realm: the scrypt hash plus the MD5 and SHA-256 HA1 values."""
    return Credentials(
        password_hash=hash_password(password, n=n),
        ha1_md5=digest_ha1(login, realm, password, HA1Algorithm.MD5),
        ha1_sha256=digest_ha1(login, realm, password, HA1Algorithm.SHA_256),
    )

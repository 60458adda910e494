"""okc.starter: the guide's starter contact center (Appendix 1), written into a directory by `okc init`.

The directory gets ``okc.yaml`` (the center), ``users.yaml`` (its users, included from okc.yaml, so that
`okc users import` rewrites only that file), ``sounds/`` with the generated prompts and the SQLite
database ``okc.db`` at the newest schema revision. Passwords are
generated, stored only as a salted hash and the realm's MD5/SHA-256 HA1, and returned once to be shown.
"""

from okc.starter.center import (
    CONFIG_FILE_NAME,
    DEFAULT_REALM,
    SOUNDS_DIR,
    USERS_FILE_NAME,
    StarterCenter,
    StarterError,
    create_starter,
)

__all__ = [
    "CONFIG_FILE_NAME",
    "DEFAULT_REALM",
    "SOUNDS_DIR",
    "USERS_FILE_NAME",
    "StarterCenter",
    "StarterError",
    "create_starter",
]

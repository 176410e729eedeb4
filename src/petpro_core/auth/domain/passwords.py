"""Password policy after NIST SP 800-63B and OWASP ASVS v4 (2.1).

Length is what matters: at least 12 characters, long passphrases welcome, no composition
rules and no truncation. Guessable passwords are rejected by a strength estimator (a port,
zxcvbn in production) that is also told the user's own details, and a password may not
contain the e-mail's local part.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Protocol

from petpro_core.auth.domain.errors import WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 256  # ASVS asks for at least 128; the cap only bounds hashing work.
MIN_STRENGTH_SCORE = 3  # zxcvbn scale 0..4: 3 is "safely unguessable" (~10^8 guesses).
_MIN_LOCAL_PART_CHECKED = 3  # "jo@..." must not forbid every password containing "jo".


class PasswordStrengthEstimator(Protocol):
    def score(self, password: str, user_inputs: list[str]) -> int:
        """0 (guessable) to 4 (very unguessable), penalising the given user inputs."""
        ...


def normalise_password(password: str) -> str:
    """NFKC, as 800-63B 5.1.1.2 recommends, so the same passphrase typed on any keyboard matches."""
    return unicodedata.normalize("NFKC", password)


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    estimator: PasswordStrengthEstimator
    min_length: int = MIN_LENGTH
    max_length: int = MAX_LENGTH
    min_score: int = MIN_STRENGTH_SCORE

    def check(self, password: str, *, email: str, display_name: str) -> str:
        """The normalised password when acceptable; WeakPassword with the reason otherwise."""
        normalised = normalise_password(password)
        length = len(normalised)
        if length < self.min_length:
            raise WeakPassword(
                f"password must be at least {self.min_length} characters", field="password"
            )
        if length > self.max_length:
            raise WeakPassword(
                f"password must be at most {self.max_length} characters", field="password"
            )
        local_part = email.split("@", 1)[0].lower()
        if len(local_part) >= _MIN_LOCAL_PART_CHECKED and local_part in normalised.lower():
            raise WeakPassword("password must not contain your e-mail address", field="password")
        user_inputs = [email, local_part, *display_name.lower().split(), "petpro", "pet"]
        if self.estimator.score(normalised, user_inputs) < self.min_score:
            raise WeakPassword(
                "password is too easy to guess: use a longer passphrase of uncommon words",
                field="password",
            )
        return normalised

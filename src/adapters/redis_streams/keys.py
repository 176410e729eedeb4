"""Where the broker keeps things in Redis.

`{prefix}:events:{topic}` holds every event of one name (`pet.created`), all versions.
`{prefix}:dlq:{group}` holds the group's dead letters, `{prefix}:redrive:{group}` the dead
letters given back to it: a stream only that group reads, so other groups never see them.
`{prefix}:epoch` is a random token set once per life of the data: it vanishes with a flush
or a restart without persistence, so its change tells relays that data was lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StreamKeys:
    prefix: str

    @property
    def epoch(self) -> str:
        return f"{self.prefix}:epoch"

    def topic(self, topic: str) -> str:
        return f"{self.prefix}:events:{topic}"

    def dead_letters(self, group: str) -> str:
        return f"{self.prefix}:dlq:{group}"

    def redrive(self, group: str) -> str:
        return f"{self.prefix}:redrive:{group}"

    def read_by(self, group: str, topics: Sequence[str]) -> list[str]:
        """Every stream the group consumes: its topics' streams, then its redrive stream."""
        keys = [self.topic(topic) for topic in dict.fromkeys(topics)]
        return [*keys, self.redrive(group)]

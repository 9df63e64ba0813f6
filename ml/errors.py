"""The one way a model says the shop's history cannot train it yet.

A short or thin history is not a failure of the night: the model that cannot learn
from it raises :class:`NotEnoughData`, the night records the skip with its reason and
publishes everything else.
"""

from __future__ import annotations


class NotEnoughData(Exception):
    """The warehouse holds too little history to train this model as of the run date.

    Attributes:
        model: The model's registry name.
        reason: What is missing, in words a shop can act on.
    """

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(f"{model}: {reason}")
        self.model = model
        self.reason = reason

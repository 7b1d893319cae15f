"""Stands in for a heavy library (Pillow, pandas…) that must not be imported at discovery."""


class Tensor:
    def __init__(self, values: list[int]) -> None:
        self.values = values

def triple(n: int = 1) -> int:
    return 3 * n

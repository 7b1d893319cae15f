def double(n: int = 1) -> int:
    return 2 * n

def indicator_names() -> set[str]:
    return set()

"""Who made a change, for the history rows simple-history writes."""


def with_user(instance, by):
    """Mark `instance` as changed by `by`; simple-history reads this when no request is at hand."""
    if by is not None and getattr(by, "is_authenticated", False):
        instance._history_user = by
    return instance

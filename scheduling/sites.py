"""Injection zones and rotation: suggest a different site each time (CLINICAL.md, IFU).

Thighs and lower abdomen for everyone; the outer upper arms only when a caregiver injects.
The suggestion is the allowed zone used longest ago (never-used zones first, in a fixed
order), and never the zone used last time unless it is the only one allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from scheduling.model import InjectionSite

ROTATION_ORDER: tuple[InjectionSite, ...] = (
    InjectionSite.LEFT_THIGH,
    InjectionSite.RIGHT_THIGH,
    InjectionSite.LEFT_ABDOMEN,
    InjectionSite.RIGHT_ABDOMEN,
    InjectionSite.LEFT_UPPER_ARM,
    InjectionSite.RIGHT_UPPER_ARM,
)


def allowed_sites(
    *, caregiver_injects: bool, excluded: Iterable[InjectionSite] = ()
) -> tuple[InjectionSite, ...]:
    """The zones this patient may be offered, in rotation order."""
    excluded_set = frozenset(excluded)
    return tuple(
        site
        for site in ROTATION_ORDER
        if site not in excluded_set and (caregiver_injects or not site.is_arm)
    )


def suggest_site(
    history: Sequence[InjectionSite | None],
    *,
    caregiver_injects: bool,
    excluded: Iterable[InjectionSite] = (),
) -> InjectionSite | None:
    """The next zone to suggest, given the sites used so far (oldest first).

    None only when the patient has excluded every zone they may use.
    """
    allowed = allowed_sites(caregiver_injects=caregiver_injects, excluded=excluded)
    if not allowed:
        return None
    last_used: dict[InjectionSite, int] = {}
    for position, site in enumerate(history):
        if site is not None:
            last_used[site] = position
    previous = next((site for site in reversed(history) if site is not None), None)
    candidates = [site for site in allowed if site != previous] or list(allowed)
    # Never used sorts first (-1); ties keep rotation order because sorted() is stable.
    return min(candidates, key=lambda site: last_used.get(site, -1))

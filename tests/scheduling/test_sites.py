"""Injection zones and rotation: a different site each time, arms only when a caregiver
injects, never an excluded zone (CLINICAL.md "Injecting")."""

from __future__ import annotations

import pytest

from scheduling.model import InjectionSite
from scheduling.sites import ROTATION_ORDER, allowed_sites, suggest_site

LT = InjectionSite.LEFT_THIGH
RT = InjectionSite.RIGHT_THIGH
LA = InjectionSite.LEFT_ABDOMEN
RA = InjectionSite.RIGHT_ABDOMEN
LARM = InjectionSite.LEFT_UPPER_ARM
RARM = InjectionSite.RIGHT_UPPER_ARM
ARMS = {LARM, RARM}


def test_there_are_six_zones_in_rotation_order() -> None:
    """Six zones: both thighs, both sides of the lower abdomen, both outer upper arms."""
    assert set(ROTATION_ORDER) == set(InjectionSite)
    assert len(ROTATION_ORDER) == 6
    assert {site for site in InjectionSite if site.is_arm} == ARMS


def test_arms_only_when_a_caregiver_injects() -> None:
    """The outer upper arm is offered only when a caregiver or professional injects."""
    assert not ARMS & set(allowed_sites(caregiver_injects=False))
    assert set(allowed_sites(caregiver_injects=True)) >= ARMS
    assert allowed_sites(caregiver_injects=True) == ROTATION_ORDER


def test_excluded_zones_are_not_allowed() -> None:
    """A zone the patient excluded (a scar, a tattoo) is never offered."""
    assert allowed_sites(caregiver_injects=True, excluded={LT, RARM}) == (RT, LA, RA, LARM)


def test_first_suggestion_is_the_first_zone_in_rotation_order() -> None:
    """With no history, never-used zones come first, in rotation order."""
    assert suggest_site([], caregiver_injects=False) is ROTATION_ORDER[0]


def test_never_used_zones_come_before_used_ones_in_rotation_order() -> None:
    """Zones never used are suggested first, in rotation order, before any used zone."""
    assert suggest_site([LT], caregiver_injects=False) is RT
    assert suggest_site([RT, LT], caregiver_injects=False) is LA
    assert suggest_site([RT], caregiver_injects=False) is LT


def test_suggestion_is_the_allowed_zone_used_longest_ago() -> None:
    """Once every zone was used, the one used longest ago is suggested."""
    history = [RA, LT, LA, RT, LA, RT]
    assert suggest_site(history, caregiver_injects=False) is RA
    assert suggest_site([LT, RT, LA, RA, LT], caregiver_injects=False) is RT


def test_following_the_suggestions_cycles_through_every_allowed_zone() -> None:
    """Followed dose after dose, suggestions visit every allowed zone before repeating one."""
    history: list[InjectionSite | None] = []
    for _ in range(12):
        site = suggest_site(history, caregiver_injects=True)
        assert site is not None
        history.append(site)
    assert history == [*ROTATION_ORDER, *ROTATION_ORDER]


def test_suggestion_is_never_the_site_used_last_time() -> None:
    """Choose a different site each time: the last site is not suggested again."""
    # Only thighs allowed and the right thigh is the least recently used but was last.
    history = [RT, LT, RT]
    excluded = {LA, RA}
    assert suggest_site(history, caregiver_injects=False, excluded=excluded) is LT


def test_only_allowed_zone_is_suggested_even_if_used_last_time() -> None:
    """When a single zone is allowed, it is suggested even though it was used last."""
    excluded = {RT, LA, RA}
    assert suggest_site([LT, LT], caregiver_injects=False, excluded=excluded) is LT


def test_excluded_zone_is_never_suggested() -> None:
    """An excluded zone is never suggested, even when it is the one used longest ago."""
    history = [LA, LT, RT, RA]
    assert suggest_site(history, caregiver_injects=False, excluded={LA}) is LT


def test_arm_in_history_without_a_caregiver_is_not_suggested() -> None:
    """An arm used by a former caregiver is not suggested once the patient injects alone."""
    history = [LARM, LT, RT, LA, RA]
    assert suggest_site(history, caregiver_injects=False) is LT


@pytest.mark.parametrize("caregiver_injects", [False, True])
def test_none_only_when_every_allowed_zone_is_excluded(caregiver_injects: bool) -> None:
    """No suggestion only when every zone the patient may use is excluded."""
    allowed = set(allowed_sites(caregiver_injects=caregiver_injects))
    assert suggest_site([], caregiver_injects=caregiver_injects, excluded=allowed) is None
    one_left = allowed - {LT}
    assert suggest_site([LT], caregiver_injects=caregiver_injects, excluded=one_left) is LT


def test_doses_without_a_recorded_site_are_skipped() -> None:
    """A dose whose site was not recorded does not count as any zone."""
    assert suggest_site([LT, None], caregiver_injects=False) is RT
    assert suggest_site([None, None], caregiver_injects=False) is LT

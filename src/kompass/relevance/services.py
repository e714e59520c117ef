"""Writes for relevance. Every channel (matrix page, row form, bulk form, XLSX import) ends in
type_decisions_set, which checks the permission (own Themenfeld, own Land), validates every
cell and writes decisions plus history in one transaction: all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kompass.accounts.selectors import (
    can_decide_relevance,
    can_manage_municipality,
)
from kompass.catalogue.models import Service, Topic
from kompass.municipalities.models import Land, Municipality, MunicipalityType
from kompass.relevance.choices import ChangeKind, DeviationValue, RelevanceValue
from kompass.relevance.models import (
    CrossCheck,
    Deviation,
    RelevanceChange,
    TopicReview,
    TypeDecision,
)
from kompass.relevance.selectors import (
    allows_by_district,
    default_value_for,
    relevance_lands_for,
    relevance_list_for,
)

if TYPE_CHECKING:
    from kompass.accounts.models import User

MAX_REASON_LENGTH = 2000


class RelevanceError(ValidationError):
    """A refused relevance write; its messages are German and meant for the user."""


class RelevancePermissionError(RelevanceError):
    """The actor may not make this decision at all (foreign Themenfeld, Land or Kommune)."""


@dataclass(frozen=True)
class CellInput:
    """One matrix cell to set. reason None: keep the cell's reason and record a change only
    when the value differs (the matrix page, where one reason field serves all changed cells)."""

    service_id: int
    type_id: int
    value: str
    reason: str | None = None
    # Where the cell came from, for error messages, e.g. "Zeile 7, Spalte H".
    position: str = ""


@dataclass
class DecisionResult:
    changed: int = 0
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)


def _actor_name(actor: User | None) -> str:
    if actor is None:
        return ""
    return (actor.get_full_name() or actor.username)[:150]


def _check_may_decide(*, actor: User, topic: Topic, land: Land) -> None:
    if not can_decide_relevance(actor, topic):
        raise RelevancePermissionError(
            _(
                "Sie sind nicht Themenpate für das Themenfeld „%(topic)s“ und können dort keine "
                "Relevanz entscheiden. Es wurde nichts geändert."
            )
            % {"topic": topic.name}
        )
    if not relevance_lands_for(actor).filter(pk=land.pk).exists():
        raise RelevancePermissionError(
            _(
                "Sie können nicht für die Kommunaltypen des Landes %(land)s entscheiden, weil Sie "
                "keine Kommunen dort betreuen. Es wurde nichts geändert."
            )
            % {"land": land.name}
        )


def _where(cell: CellInput) -> str:
    return f"{cell.position}: " if cell.position else ""


def type_decisions_set(
    *,
    topic: Topic,
    land: Land,
    cells: list[CellInput],
    actor: User,
    channel: str = "",
    loaded_at: datetime | None = None,
    confirm_proposals: bool = False,
    reason_for_changed: str = "",
) -> DecisionResult:
    """Set matrix cells (Leistung × Kommunaltyp) of one Themenfeld for the types of one Land.

    Refuses everything when the actor does not sponsor the Themenfeld or serves no Kommune in
    the Land, or when any cell is invalid (Leistung of another Themenfeld, type of another Land,
    unknown value, "durch den Kreis" for a Kreis type, reason too long).

    loaded_at: when the form was rendered. A cell that someone else decided after that moment
    and whose submitted value differs is not overwritten but reported as a conflict.
    confirm_proposals: record a decision also where the value equals the default proposal and
    no decision exists yet (a Themenpate confirming proposals in bulk).
    reason_for_changed: the reason for cells without their own (reason None) whose value
    changes: the matrix page has one reason field for all cells changed on it.
    """
    _check_may_decide(actor=actor, topic=topic, land=land)
    types = {t.pk: t for t in MunicipalityType.objects.filter(land=land)}
    service_ids = {c.service_id for c in cells}
    services = {
        s.pk: s
        for s in Service.objects.current()
        .filter(pk__in=service_ids)
        .only("pk", "name", "topic_id", "leika_type_codes")
    }
    errors: list[str] = []
    for cell in cells:
        service = services.get(cell.service_id)
        municipality_type = types.get(cell.type_id)
        if service is None or service.topic_id != topic.pk:
            errors.append(
                _("%(where)sDie Leistung gehört nicht zum Themenfeld „%(topic)s“.")
                % {"where": _where(cell), "topic": topic.name}
            )
            continue
        if municipality_type is None:
            errors.append(
                _("%(where)sDer Kommunaltyp gehört nicht zum Land %(land)s.")
                % {"where": _where(cell), "land": land.name}
            )
            continue
        if cell.value not in RelevanceValue.values:
            errors.append(_("%(where)sUnbekannter Relevanzwert.") % {"where": _where(cell)})
        elif cell.value == RelevanceValue.BY_DISTRICT and not allows_by_district(municipality_type):
            errors.append(
                _("%(where)s„durch den Kreis“ ist für den Kommunaltyp „%(type)s“ nicht möglich.")
                % {"where": _where(cell), "type": municipality_type.name}
            )
        if cell.reason is not None and len(cell.reason) > MAX_REASON_LENGTH:
            errors.append(
                _("%(where)sDie Begründung ist länger als %(max)d Zeichen.")
                % {"where": _where(cell), "max": MAX_REASON_LENGTH}
            )
    seen: set[tuple[int, int]] = set()
    for cell in cells:
        key = (cell.service_id, cell.type_id)
        if key in seen:
            errors.append(
                _("%(where)sDiese Zelle ist doppelt angegeben.") % {"where": _where(cell)}
            )
        seen.add(key)
    if errors:
        raise RelevanceError(errors)

    result = DecisionResult()
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (d.service_id, d.municipality_type_id): d
            for d in TypeDecision.objects.select_for_update().filter(
                service_id__in=service_ids, municipality_type_id__in=types.keys()
            )
        }
        to_create: list[TypeDecision] = []
        to_update: list[TypeDecision] = []
        history: list[RelevanceChange] = []
        for cell in cells:
            service = services[cell.service_id]
            decision = existing.get((cell.service_id, cell.type_id))
            current_value = (
                decision.value if decision else default_value_for(service.leika_type_codes)
            )
            current_reason = decision.reason if decision else ""
            if cell.reason is not None:
                reason = cell.reason.strip()
            elif cell.value != current_value:
                reason = reason_for_changed.strip()
            else:
                reason = current_reason
            confirms = confirm_proposals and decision is None
            if (
                not confirms
                and cell.value == current_value
                and (cell.reason is None or reason == current_reason)
            ):
                result.unchanged += 1
                continue
            if decision is not None and loaded_at is not None and decision.decided_at > loaded_at:
                result.conflicts.append(
                    _(
                        "„%(service)s“ / %(type)s wurde inzwischen von %(name)s geändert und "
                        "nicht überschrieben."
                    )
                    % {
                        "service": service.name,
                        "type": types[cell.type_id].name,
                        "name": _actor_name(decision.decided_by) or _("jemand anderem"),
                    }
                )
                continue
            history.append(
                RelevanceChange(
                    kind=ChangeKind.TYPE_DECISION,
                    service_id=cell.service_id,
                    municipality_type_id=cell.type_id,
                    topic=topic,
                    value_before=decision.value if decision else "",
                    value_after=cell.value,
                    reason_before=current_reason,
                    reason_after=reason,
                    actor=actor,
                    actor_name=_actor_name(actor),
                    created_at=now,
                    channel=channel,
                )
            )
            if decision is None:
                to_create.append(
                    TypeDecision(
                        service_id=cell.service_id,
                        municipality_type_id=cell.type_id,
                        value=cell.value,
                        reason=reason,
                        decided_by=actor,
                        decided_at=now,
                    )
                )
            else:
                decision.value, decision.reason = cell.value, reason
                decision.decided_by, decision.decided_at = actor, now
                to_update.append(decision)
            result.changed += 1
        TypeDecision.objects.bulk_create(to_create, batch_size=500)
        TypeDecision.objects.bulk_update(
            to_update, ["value", "reason", "decided_by", "decided_at"], batch_size=500
        )
        RelevanceChange.objects.bulk_create(history, batch_size=500)
        changed_types = {d.municipality_type_id for d in [*to_create, *to_update]}
        if changed_types:
            _progress_refresh_for_types(changed_types, topic_id=topic.pk)
    return result


def _progress_refresh_for_types(type_ids: set[int], *, topic_id: int) -> None:
    """Keep the precomputed progress per Kommune and Themenfeld (reports.TopicProgress) current
    for every Kommune of the changed types, and for their Kreise ("durch den Kreis" decisions of a
    member type change a Kreis's list), in the transaction of the decision."""
    from kompass.reports.services import topic_progress_refresh

    kommunen = Municipality.objects.active().filter(municipality_type_id__in=type_ids)
    ids = set(kommunen.values_list("pk", flat=True))
    ids |= set(kommunen.exclude(district_id=None).values_list("district_id", flat=True))
    topic_progress_refresh(municipality_ids=ids, topic_ids=[topic_id])


def type_decisions_bulk_set(
    *,
    topic: Topic,
    land: Land,
    value: str,
    reason: str,
    actor: User,
    type_ids: list[int],
    service_ids: list[int] | None = None,
    overwrite: bool = False,
) -> DecisionResult:
    """Set many cells at once: the given Leistungen (default: the whole Themenfeld) × the given
    Kommunaltypen. Without overwrite, cells that already have a decision are left alone."""
    _check_may_decide(actor=actor, topic=topic, land=land)
    services = Service.objects.current().filter(topic=topic)
    if service_ids is not None:
        services = services.filter(pk__in=service_ids)
    ids = list(services.values_list("pk", flat=True))
    decided = set()
    if not overwrite:
        decided = set(
            TypeDecision.objects.filter(
                service_id__in=ids, municipality_type_id__in=type_ids
            ).values_list("service_id", "municipality_type_id")
        )
    cells = [
        CellInput(service_id=s, type_id=t, value=value, reason=reason)
        for s in ids
        for t in type_ids
        if (s, t) not in decided
    ]
    result = type_decisions_set(
        topic=topic,
        land=land,
        cells=cells,
        actor=actor,
        channel=_("Sammelentscheidung"),
        confirm_proposals=True,
    )
    result.unchanged += len(decided)
    return result


def topic_review_set(*, topic: Topic, land: Land, reviewed: bool, actor: User) -> None:
    """Mark (or unmark) a Themenfeld as reviewed for the Kommunaltypen of a Land."""
    _check_may_decide(actor=actor, topic=topic, land=land)
    with transaction.atomic():
        if reviewed:
            _, _created = TopicReview.objects.update_or_create(
                topic=topic,
                land=land,
                defaults={"reviewed_by": actor, "reviewed_at": timezone.now()},
            )
            kind = ChangeKind.REVIEW
        else:
            deleted, _details = TopicReview.objects.filter(topic=topic, land=land).delete()
            if not deleted:
                return
            kind = ChangeKind.REVIEW_REMOVED
        RelevanceChange.objects.create(
            kind=kind, topic=topic, actor=actor, actor_name=_actor_name(actor)
        )


# --- Gegenprüfung by a Kommune --------------------------------------------------------------------


def _check_may_cross_check(*, actor: User, municipality: Municipality) -> None:
    if not can_manage_municipality(actor, municipality):
        raise RelevancePermissionError(
            _(
                "Nur die Administration der Kommune %(name)s kann die Gegenprüfung durchführen. "
                "Es wurde nichts geändert."
            )
            % {"name": municipality.name}
        )


def deviation_set(
    *, municipality: Municipality, service: Service, value: str, reason: str, actor: User
) -> Deviation:
    """Record (or change) a Kommune's deviation from its type's decision for one Leistung.

    The reason is mandatory; a "deviation" equal to what applies anyway is refused.
    """
    _check_may_cross_check(actor=actor, municipality=municipality)
    reason = (reason or "").strip()
    if value not in DeviationValue.values:
        raise RelevanceError(_("Bitte wählen Sie „relevant“ oder „nicht relevant“."))
    if not reason:
        raise RelevanceError(
            _("Bitte begründen Sie die Abweichung (z. B. eine besondere Zuständigkeit).")
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise RelevanceError(
            _("Die Begründung ist länger als %(max)d Zeichen.") % {"max": MAX_REASON_LENGTH}
        )
    if service.retired_in_id is not None:
        raise RelevanceError(_("Diese Leistung ist entfallen."))
    with transaction.atomic():
        row = (
            relevance_list_for(municipality=municipality)
            .filter(pk=service.pk)
            .values("type_value", "default_value", "deviation_value", "deviation_reason")
            .first()
        )
        type_value = row["type_value"] or row["default_value"]
        if row["deviation_value"] is None and value == type_value:
            raise RelevanceError(
                _(
                    "Für Ihren Kommunaltyp gilt bereits „%(value)s“; eine Abweichung ist nicht nötig. "
                    "Bestätigen Sie stattdessen die Gegenprüfung."
                )
                % {"value": RelevanceValue(value).label}
            )
        deviation = (
            Deviation.objects.select_for_update()
            .filter(municipality=municipality, service=service)
            .first()
        )
        before_value = deviation.value if deviation else ""
        before_reason = deviation.reason if deviation else ""
        if deviation is None:
            deviation = Deviation.objects.create(
                municipality=municipality,
                service=service,
                value=value,
                reason=reason,
                decided_by=actor,
                decided_at=timezone.now(),
            )
        elif (deviation.value, deviation.reason) != (value, reason):
            deviation.value, deviation.reason = value, reason
            deviation.decided_by, deviation.decided_at = actor, timezone.now()
            deviation.save(update_fields=["value", "reason", "decided_by", "decided_at"])
        else:
            return deviation
        RelevanceChange.objects.create(
            kind=ChangeKind.DEVIATION,
            service=service,
            municipality=municipality,
            municipality_type_id=municipality.municipality_type_id,
            topic_id=service.topic_id,
            value_before=before_value,
            value_after=value,
            reason_before=before_reason,
            reason_after=reason,
            actor=actor,
            actor_name=_actor_name(actor),
        )
        _progress_refresh_for_deviation(municipality, service)
    return deviation


def _progress_refresh_for_deviation(municipality: Municipality, service: Service) -> None:
    from kompass.reports.services import topic_progress_refresh

    topic_progress_refresh(municipality_ids=[municipality.pk], topic_ids=[service.topic_id])


def deviation_remove(*, municipality: Municipality, service: Service, actor: User) -> bool:
    """Withdraw a deviation: the type's decision applies again. False if there was none."""
    _check_may_cross_check(actor=actor, municipality=municipality)
    with transaction.atomic():
        deviation = (
            Deviation.objects.select_for_update()
            .filter(municipality=municipality, service=service)
            .first()
        )
        if deviation is None:
            return False
        RelevanceChange.objects.create(
            kind=ChangeKind.DEVIATION_REMOVED,
            service=service,
            municipality=municipality,
            municipality_type_id=municipality.municipality_type_id,
            topic_id=service.topic_id,
            value_before=deviation.value,
            reason_before=deviation.reason,
            actor=actor,
            actor_name=_actor_name(actor),
        )
        deviation.delete()
        _progress_refresh_for_deviation(municipality, service)
    return True


def cross_check_confirm(*, municipality: Municipality, topic: Topic, actor: User) -> CrossCheck:
    """The Kommune confirms its type's decisions for a Themenfeld (apart from its deviations)."""
    _check_may_cross_check(actor=actor, municipality=municipality)
    with transaction.atomic():
        check, _created = CrossCheck.objects.update_or_create(
            municipality=municipality,
            topic=topic,
            defaults={"confirmed_by": actor, "confirmed_at": timezone.now()},
        )
        RelevanceChange.objects.create(
            kind=ChangeKind.CROSS_CHECK,
            municipality=municipality,
            topic=topic,
            actor=actor,
            actor_name=_actor_name(actor),
        )
    return check


# --- Demo -----------------------------------------------------------------------------------------

DEMO_SPONSOR = "pate"
DEMO_TOPIC_CODE = "familie_kind"
# (part of the OZG-Leistung's name, {type code: value}, reason). Only decisions that follow from
# the NRW allocation of tasks: a Standesamt in every Gemeinde; Jugendamt (and with it the
# Elterngeldstelle) at Kreisen, kreisfreien Städten and those larger kreisangehörigen Städte that
# run their own, so those two types stay open for the Gegenprüfung.
_GEMEINDEN = (
    "kreisfreie-stadt",
    "grosse-kreisangehoerige-stadt",
    "mittlere-kreisangehoerige-stadt",
    "kreisangehoerige-stadt",
    "kreisangehoerige-gemeinde",
)
_KREISE = ("kreis", "staedteregion")
_YOUTH_OFFICE = {
    "kreisfreie-stadt": "relevant",
    "kreis": "relevant",
    "staedteregion": "relevant",
    "kreisangehoerige-stadt": "by_district",
    "kreisangehoerige-gemeinde": "by_district",
}
_ALL_TYPES = _GEMEINDEN + _KREISE
# (OZG-Leistung name part, Leistung name part or "" for all, values by type code, reason).
# Applied in order and only to open cells, so the specific rules come first. LeiKa-Typ 1
# (Bund/Bund) is never touched.
DEMO_DECISIONS = (
    (
        "Kindertagesbetreuung",
        "BayKiBiG",
        dict.fromkeys(_ALL_TYPES, "not_relevant"),
        "Förderung nach bayerischem Landesrecht (BayKiBiG); in NRW nicht anwendbar.",
    ),
    (
        "Kindertagesbetreuung",
        "Kita-Gutschein",
        dict.fromkeys(_ALL_TYPES, "not_relevant"),
        "Kita-Gutscheinsysteme gibt es in Hamburg und Berlin; NRW finanziert die "
        "Kindertagesbetreuung nach dem KiBiz.",
    ),
    (
        "Geburtsanzeige",
        "",
        {**dict.fromkeys(_GEMEINDEN, "relevant"), **dict.fromkeys(_KREISE, "not_relevant")},
        "Die Geburtsanzeige nimmt das Standesamt der Gemeinde entgegen; Kreise führen keine "
        "Standesämter.",
    ),
    (
        "Elterngeld",
        "",
        _YOUTH_OFFICE,
        "In NRW bearbeiten die Elterngeldstellen bei den Jugendämtern die Anträge; kleinere "
        "kreisangehörige Kommunen ohne eigenes Jugendamt: durch den Kreis.",
    ),
    (
        "Kindertagesbetreuung",
        "",
        _YOUTH_OFFICE,
        "Aufgabe des örtlichen Jugendamts (Kreise, kreisfreie Städte); kleinere kreisangehörige "
        "Kommunen haben in der Regel kein eigenes Jugendamt. Große und Mittlere kreisangehörige "
        "Städte bleiben offen, weil nur ein Teil von ihnen ein eigenes Jugendamt führt.",
    ),
)


def demo_relevance_seed() -> int:
    """Record a few realistic decisions by the demo Themenpate for "Familie & Kind" (NRW).

    Idempotent: cells already decided are left alone. Returns the number of cells set; 0 when
    the demo data (catalogue, NRW types, account "pate") is missing.
    """
    from kompass.accounts.models import User
    from kompass.catalogue.models import OzgService

    actor = User.objects.filter(username=DEMO_SPONSOR).first()
    topic = Topic.objects.filter(code=DEMO_TOPIC_CODE).first()
    land = Land.objects.filter(code="05").first()
    if actor is None or topic is None or land is None:
        return 0
    types = {t.code: t.pk for t in MunicipalityType.objects.filter(land=land)}
    changed = 0
    for ozg_name, service_name, values, reason in DEMO_DECISIONS:
        ozg_services = OzgService.objects.current().filter(topic=topic, name__icontains=ozg_name)
        services = (
            Service.objects.current()
            .filter(topic=topic, ozg_service__in=ozg_services, name__icontains=service_name)
            .exclude(leika_type_codes="1")
        )
        service_ids = list(services.values_list("pk", flat=True))
        if not service_ids:
            continue
        by_value: dict[str, list[int]] = {}
        for type_code, value in values.items():
            if type_code in types:
                by_value.setdefault(value, []).append(types[type_code])
        for value, type_ids in by_value.items():
            changed += type_decisions_bulk_set(
                topic=topic,
                land=land,
                value=value,
                reason=reason,
                actor=actor,
                type_ids=type_ids,
                service_ids=service_ids,
            ).changed
    return changed

"""Phase 2 of the import: match a parsed release to the database and write the differences.

All existing rows are fetched once into dicts; rows are matched in memory, and the writes are a
constant number of bulk queries per level, whatever the size of the catalogue. Run
``apply_release`` inside ``transaction.atomic`` (``services.catalogue_import`` does).

Identity of the LeiKa-Leistungen "nicht im LeiKa": they have no key, so on first sight they get
``catalogue_key = "NL-<OZG-ID>-<10 hex digits of sha256(fold(name))>"`` ("NL-<hash>" without
OZG-ID; "-2", "-3" … for a repeated (OZG-ID, name) pair, in file order). The key is then
permanent. Later releases find them again by (OZG-ID, folded name, n-th occurrence); where that
fails, two fallbacks keep a Kommune's data attached instead of retiring and re-adding:

* same folded name, exactly one unmatched row on each side, at least one side "nicht im LeiKa":
  the entry moved to another OZG-Leistung, got a LeiKa key, or lost it;
* both "nicht im LeiKa", same OZG-Leistung, names at least 60 % similar (difflib ratio of the
  folded names; the most similar pairs are taken first): the entry was renamed.

Anything else that disappears is retired (never deleted), and a key that reappears is restored.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from django.db import models

from kompass.catalogue.choices import CatalogueEntity, ChangeKind, TargetGroup
from kompass.catalogue.importing.reader import (
    LEIKA_KEY,
    CodeLists,
    LifeSituationData,
    OzgServiceData,
    ParsedRelease,
    ServiceData,
    TopicData,
)
from kompass.catalogue.models import (
    CatalogueChange,
    CatalogueRelease,
    LeikaType,
    LifeSituation,
    MaturityLevel,
    MaturityModel,
    OzgService,
    Service,
    Topic,
)
from kompass.core.db import rows_insert, rows_update
from kompass.core.text import fold

SIMILAR_NAME_RATIO = 0.6
BATCH_SIZE = 500


@dataclass(frozen=True)
class Level:
    """How one catalogue level is reported: its key field and the fields a change report lists.

    ``reported`` maps attnames to a function that turns a stored value into a readable one
    (a name instead of a pk). Other fields (denormalised copies, positions, search text) are kept
    up to date silently.
    """

    entity: str
    model: type[models.Model]
    key_field: str
    reported: dict[str, Callable[[Any], Any]]


def _plain(value: Any) -> Any:
    return value


def _target_group_label(value: str) -> str:
    return str(TargetGroup(value).label) if value else ""


def _field_name(attname: str) -> str:
    return attname.removesuffix("_id")


class ReleaseWriter:
    def __init__(self, release: CatalogueRelease):
        self.release = release
        self.changes: list[CatalogueChange] = []

    # --- generic part -------------------------------------------------------------------------

    def _change(
        self, level: Level, instance: models.Model, kind: str, fields: dict | None = None
    ) -> None:
        self.changes.append(
            CatalogueChange(
                release=self.release,
                entity=level.entity,
                key=getattr(instance, level.key_field),
                name=instance.name,
                kind=kind,
                fields=fields or {},
            )
        )

    def sync_level(
        self,
        level: Level,
        pairs: list[tuple[models.Model | None, dict[str, Any]]],
        retire: Iterable[models.Model],
    ) -> list[models.Model]:
        """Create, update, restore and retire the rows of one level; return them in file order.

        pairs: (existing instance or None, desired field values by attname) per row of the file.
        retire: current instances that the release no longer contains.
        """
        to_create: list[models.Model] = []
        to_update: list[models.Model] = []
        update_fields: set[str] = set()
        result = []
        for instance, desired in pairs:
            if instance is None:
                instance = level.model(**desired, first_release=self.release)
                to_create.append(instance)
                self._change(level, instance, ChangeKind.ADDED)
                result.append(instance)
                continue
            diff = {}
            dirty = False
            for attname, value in desired.items():
                before = getattr(instance, attname)
                if before == value:
                    continue
                if attname in level.reported:
                    display = level.reported[attname]
                    diff[_field_name(attname)] = [display(before), display(value)]
                setattr(instance, attname, value)
                update_fields.add(attname)
                dirty = True
            if instance.retired_in_id is not None:
                instance.retired_in = None
                update_fields.add("retired_in")
                dirty = True
                self._change(level, instance, ChangeKind.RESTORED, diff)
            elif diff:
                self._change(level, instance, ChangeKind.CHANGED, diff)
            if dirty:
                to_update.append(instance)
            result.append(instance)
        for instance in retire:
            instance.retired_in = self.release
            update_fields.add("retired_in")
            to_update.append(instance)
            self._change(level, instance, ChangeKind.RETIRED)

        # rows_insert/rows_update instead of bulk_create/bulk_update: those compile one huge
        # statement (bulk_update a CASE WHEN per row and field), seconds of CPU for a release.
        # The catalogue models have no save() logic that this would skip.
        rows_insert(level.model, to_create)
        rows_update(level.model, to_update, fields=update_fields)
        return result

    # --- the levels ---------------------------------------------------------------------------

    def topics(self, rows: list[TopicData]) -> dict[int, Topic]:
        existing = {topic.code: topic for topic in Topic.objects.all()}
        level = Level(CatalogueEntity.TOPIC, Topic, "code", {"name": _plain})
        pairs = [
            (existing.get(row.code), {"code": row.code, "name": row.name, "position": row.position})
            for row in rows
        ]
        in_file = {row.code for row in rows}
        retire = [t for code, t in existing.items() if code not in in_file and not t.is_retired]
        written = self.sync_level(level, pairs, retire)
        return {topic.pk: topic for topic in [*existing.values(), *written]}

    def life_situations(
        self, rows: list[LifeSituationData], topics: dict[int, Topic]
    ) -> dict[int, LifeSituation]:
        existing = {life.name: life for life in LifeSituation.objects.all()}
        topic_pk = {topic.code: pk for pk, topic in topics.items()}
        level = Level(
            CatalogueEntity.LIFE_SITUATION,
            LifeSituation,
            "name",
            {
                "topic_id": lambda pk: topics[pk].name,
                "target_group": _target_group_label,
            },
        )
        pairs = [
            (
                existing.get(row.name),
                {
                    "name": row.name,
                    "topic_id": topic_pk[row.topic_code],
                    "target_group": row.target_group,
                },
            )
            for row in rows
        ]
        in_file = {row.name for row in rows}
        retire = [
            life for name, life in existing.items() if name not in in_file and not life.is_retired
        ]
        written = self.sync_level(level, pairs, retire)
        return {life.pk: life for life in [*existing.values(), *written]}

    def ozg_services(
        self,
        rows: list[OzgServiceData],
        topics: dict[int, Topic],
        life_situations: dict[int, LifeSituation],
    ) -> dict[int, OzgService]:
        existing = {ozg.ozg_id: ozg for ozg in OzgService.objects.all()}
        topic_pk = {topic.code: pk for pk, topic in topics.items()}
        life_pk = {life.name: pk for pk, life in life_situations.items()}
        level = Level(
            CatalogueEntity.OZG_SERVICE,
            OzgService,
            "ozg_id",
            {
                "name": _plain,
                "life_situation_id": lambda pk: life_situations[pk].name if pk else "",
                "topic_id": lambda pk: topics[pk].name if pk else "",
            },
        )
        pairs = [
            (
                existing.get(row.ozg_id),
                {
                    "ozg_id": row.ozg_id,
                    "name": row.name,
                    "life_situation_id": life_pk[row.life_situation_name]
                    if row.life_situation_name
                    else None,
                    "topic_id": topic_pk[row.topic_code] if row.topic_code else None,
                },
            )
            for row in rows
        ]
        in_file = {row.ozg_id for row in rows}
        retire = [ozg for key, ozg in existing.items() if key not in in_file and not ozg.is_retired]
        written = self.sync_level(level, pairs, retire)
        return {ozg.pk: ozg for ozg in [*existing.values(), *written]}

    def services(
        self,
        rows: list[ServiceData],
        ozg_services: dict[int, OzgService],
        life_situations: dict[int, LifeSituation],
        leika_types: dict[str, LeikaType],
    ) -> None:
        existing = list(Service.objects.order_by("pk"))
        ozg_id_of = {pk: ozg.ozg_id for pk, ozg in ozg_services.items()}
        ozg_by_id = {ozg.ozg_id: ozg for ozg in ozg_services.values()}
        matches, retire = match_services(rows, existing, ozg_id_of)
        new_keys = _new_catalogue_keys(rows, matches, {s.catalogue_key for s in existing})

        level = Level(
            CatalogueEntity.SERVICE,
            Service,
            "catalogue_key",
            {
                "name": _plain,
                "leika_key": _plain,
                "ozg_service_id": lambda pk: ozg_id_of[pk] if pk else "",
                "leika_type_codes": _plain,
                "legal_basis": _plain,
                "laws": _plain,
                "law_abbreviations": _plain,
                "sdg1_relevant": _plain,
                "sdg2_relevant": _plain,
            },
        )
        folded_ozg_names = {ozg.ozg_id: fold(ozg.name) for ozg in ozg_by_id.values()}
        pairs = []
        for index, (row, match) in enumerate(zip(rows, matches, strict=True)):
            ozg = ozg_by_id[row.ozg_id] if row.ozg_id else None
            life = life_situations[ozg.life_situation_id] if ozg and ozg.life_situation_id else None
            # The same as fold(" ".join(name, key, OZG-ID, OZG name)): fold works per word.
            search_parts = [
                row.folded_name,
                row.leika_key,
                row.ozg_id,
                folded_ozg_names[row.ozg_id] if ozg else None,
            ]
            desired = {
                "catalogue_key": match.catalogue_key if match else new_keys[index],
                "leika_key": row.leika_key,
                "name": row.name,
                "ozg_service_id": ozg.pk if ozg else None,
                "life_situation_id": life.pk if life else None,
                "topic_id": ozg.topic_id if ozg else None,
                "target_group": life.target_group if life else "",
                "leika_group": row.leika_group,
                "leika_identifier": row.leika_identifier,
                "action": row.action,
                "action_detail": row.action_detail,
                "leika_type_codes": row.leika_type_codes,
                "legal_basis": row.legal_basis,
                "laws": row.laws,
                "law_abbreviations": row.law_abbreviations,
                "sdg1_relevant": row.sdg1_relevant,
                "sdg2_relevant": row.sdg2_relevant,
                "search_text": " ".join(part for part in search_parts if part),
            }
            pairs.append((match, desired))
        written = self.sync_level(level, pairs, retire)
        _sync_leika_types(rows, written, leika_types)


def match_services(
    rows: list[ServiceData], existing: list[Service], ozg_id_of: dict[int, str]
) -> tuple[list[Service | None], list[Service]]:
    """Pair each row of the file with an existing Service (or None); return the pairs and the
    current services to retire. See the module docstring for the rules."""
    by_leika: dict[str, Service] = {s.leika_key: s for s in existing if s.leika_key}
    for service in existing:
        # An entry that lost its LeiKa key keeps it as catalogue_key; find it if the key returns.
        if not service.leika_key and LEIKA_KEY.match(service.catalogue_key):
            by_leika.setdefault(service.catalogue_key, service)
    groups: dict[tuple[str, str], list[Service]] = defaultdict(list)
    for service in existing:  # ordered by pk, i.e. by first appearance
        if not service.leika_key:
            groups[(ozg_id_of.get(service.ozg_service_id, ""), fold(service.name))].append(service)
    by_identity = {
        (*identity, ordinal): service
        for identity, members in groups.items()
        for ordinal, service in enumerate(members, start=1)
    }

    matches: list[Service | None] = [None] * len(rows)
    used: set[int] = set()

    def pair(index: int, service: Service) -> None:
        matches[index] = service
        used.add(service.pk)

    for index, row in enumerate(rows):
        if row.leika_key:
            candidate = by_leika.get(row.leika_key)
        else:
            candidate = by_identity.get((row.ozg_id or "", row.folded_name, row.ordinal))
        if candidate is not None and candidate.pk not in used:
            pair(index, candidate)

    def open_sides(group_row, group_old):
        """Yield (row index, service) for groups with exactly one unmatched row on each side."""
        old_groups: dict[Any, list[Service]] = defaultdict(list)
        for service in existing:
            if service.pk not in used and not service.is_retired:
                old_groups[group_old(service)].append(service)
        if not old_groups:
            return
        new_groups: dict[Any, list[int]] = defaultdict(list)
        for index, row in enumerate(rows):
            if matches[index] is None:
                new_groups[group_row(row)].append(index)
        for group, indexes in new_groups.items():
            olds = old_groups.get(group, [])
            if len(indexes) == 1 and len(olds) == 1:
                yield indexes[0], olds[0]

    # Fallback 1: the same name, at least one side without LeiKa key.
    for index, service in list(open_sides(lambda r: r.folded_name, lambda s: fold(s.name))):
        if rows[index].leika_key is None or service.leika_key is None:
            pair(index, service)
    # Fallback 2: renamed entries "nicht im LeiKa" within their OZG-Leistung, most similar first.
    open_new: dict[str, list[int]] = defaultdict(list)
    open_old: dict[str, list[Service]] = defaultdict(list)
    for index, row in enumerate(rows):
        if matches[index] is None and row.leika_key is None:
            open_new[row.ozg_id or ""].append(index)
    for service in existing:
        if service.pk not in used and not service.is_retired and not service.leika_key:
            open_old[ozg_id_of.get(service.ozg_service_id, "")].append(service)
    for ozg_id, indexes in open_new.items():
        candidates = sorted(
            (
                -SequenceMatcher(None, rows[index].folded_name, fold(service.name)).ratio(),
                index,
                service.pk,
                service,
            )
            for index in indexes
            for service in open_old.get(ozg_id, [])
        )
        for negative_ratio, index, _pk, service in candidates:
            if -negative_ratio < SIMILAR_NAME_RATIO:
                break
            if matches[index] is None and service.pk not in used:
                pair(index, service)

    retire = [s for s in existing if s.pk not in used and not s.is_retired]
    return matches, retire


def not_in_leika_key(row: ServiceData) -> str:
    digest = hashlib.sha256(row.folded_name.encode()).hexdigest()[:10]
    key = f"NL-{row.ozg_id}-{digest}" if row.ozg_id else f"NL-{digest}"
    return key if row.ordinal == 1 else f"{key}-{row.ordinal}"


def _new_catalogue_keys(
    rows: list[ServiceData], matches: list[Service | None], taken: set[str]
) -> dict[int, str]:
    keys = {}
    taken = set(taken)
    for index, (row, match) in enumerate(zip(rows, matches, strict=True)):
        if match is not None:
            continue
        base = row.leika_key or not_in_leika_key(row)
        key, suffix = base, 1
        while key in taken:  # only if an older entry already holds this key
            suffix += 1
            key = f"{base}-{suffix}"
        taken.add(key)
        keys[index] = key
    return keys


def _sync_leika_types(
    rows: list[ServiceData], services: list[Service], leika_types: dict[str, LeikaType]
) -> None:
    """Set Service.leika_types from the parsed codes with one insert and one delete at most."""
    through = Service.leika_types.through
    in_file = {service.pk for service in services}
    desired = {
        (service.pk, leika_types[code].pk)
        for row, service in zip(rows, services, strict=True)
        for code in row.leika_types
    }
    existing = {
        (service_id, type_id): link_id
        for link_id, service_id, type_id in through.objects.values_list(
            "id", "service_id", "leikatype_id"
        )
    }
    stale = [
        link_id
        for (service_id, type_id), link_id in existing.items()
        if service_id in in_file and (service_id, type_id) not in desired
    ]
    for start in range(0, len(stale), BATCH_SIZE):
        through.objects.filter(id__in=stale[start : start + BATCH_SIZE]).delete()
    rows_insert(
        through,
        [
            through(service_id=service_id, leikatype_id=type_id)
            for service_id, type_id in sorted(desired - existing.keys())
        ],
    )


def apply_code_lists(code_lists: CodeLists) -> dict[str, LeikaType]:
    """Upsert LeikaType and the maturity models with their levels; never delete (rows may be
    referenced). The first model loaded becomes the default only if there is no default yet,
    preferring "1.1"; an operator's later choice of default is kept."""
    existing = {leika_type.code: leika_type for leika_type in LeikaType.objects.all()}
    to_create, to_update = [], []
    for row in code_lists.leika_types:
        values = {
            "regulation": row.regulation,
            "execution": row.execution,
            "meaning_known": row.meaning_known,
            "position": row.position,
        }
        leika_type = existing.get(row.code)
        if leika_type is None:
            leika_type = LeikaType(code=row.code, **values)
            to_create.append(leika_type)
            existing[row.code] = leika_type
        elif any(getattr(leika_type, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(leika_type, name, value)
            to_update.append(leika_type)
    LeikaType.objects.bulk_create(to_create)
    LeikaType.objects.bulk_update(
        to_update, ["regulation", "execution", "meaning_known", "position"]
    )

    models_by_code = {model.code: model for model in MaturityModel.objects.all()}
    has_default = any(model.is_default for model in models_by_code.values())
    ordered = sorted(code_lists.maturity_models, key=lambda m: (m.code != "1.1", m.code))
    for data in ordered:
        model = models_by_code.get(data.code)
        if model is None:
            model = MaturityModel.objects.create(
                code=data.code, name=data.name, is_default=not has_default
            )
            has_default = True
        levels = {level.level: level for level in model.levels.all()}
        new_levels, changed_levels = [], []
        for row in data.levels:
            values = {
                "name": row.name,
                "description": row.description,
                "ozg_compliant": row.ozg_compliant,
            }
            level = levels.get(row.level)
            if level is None:
                new_levels.append(MaturityLevel(model=model, level=row.level, **values))
            elif any(getattr(level, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(level, name, value)
                changed_levels.append(level)
        MaturityLevel.objects.bulk_create(new_levels)
        MaturityLevel.objects.bulk_update(changed_levels, ["name", "description", "ozg_compliant"])
    return existing


def apply_release(parsed: ParsedRelease, *, release: CatalogueRelease) -> CatalogueRelease:
    """Write a validated release into the database and fill in the release's report."""
    leika_types = apply_code_lists(parsed.code_lists)
    writer = ReleaseWriter(release)
    topics = writer.topics(parsed.topics)
    life_situations = writer.life_situations(parsed.life_situations, topics)
    ozg_services = writer.ozg_services(parsed.ozg_services, topics, life_situations)
    writer.services(parsed.services, ozg_services, life_situations, leika_types)
    rows_insert(CatalogueChange, writer.changes)

    kinds = defaultdict(int)
    for change in writer.changes:
        kinds[change.kind] += 1
    release.added_count = kinds[ChangeKind.ADDED]
    release.changed_count = kinds[ChangeKind.CHANGED]
    release.retired_count = kinds[ChangeKind.RETIRED]
    release.restored_count = kinds[ChangeKind.RESTORED]
    release.counts = {
        "topics": Topic.objects.current().count(),
        "life_situations": LifeSituation.objects.current().count(),
        "ozg_services": OzgService.objects.current().count(),
        "services": Service.objects.current().count(),
    }
    release.warnings = parsed.warnings
    release.save(
        update_fields=[
            "added_count",
            "changed_count",
            "retired_count",
            "restored_count",
            "counts",
            "warnings",
        ]
    )
    return release

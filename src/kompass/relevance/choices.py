from django.db import models
from django.utils.translation import gettext_lazy as _


class RelevanceValue(models.TextChoices):
    """The value of one matrix cell (a LeiKa-Leistung for a Kommunaltyp) or of a deviation."""

    RELEVANT = "relevant", _("relevant")
    NOT_RELEVANT = "not_relevant", _("nicht relevant")
    # Executed by the Kreis for its kreisangehörige Gemeinden: relevant for the Kreis, not for them.
    BY_DISTRICT = "by_district", _("durch den Kreis")
    UNDECIDED = "undecided", _("offen")


class DeviationValue(models.TextChoices):
    """What a Kommune may decide for itself in the Gegenprüfung."""

    RELEVANT = RelevanceValue.RELEVANT.value, _("relevant")
    NOT_RELEVANT = RelevanceValue.NOT_RELEVANT.value, _("nicht relevant")


class RelevanceSource(models.TextChoices):
    """Where a Kommune's value for a Leistung comes from."""

    DEFAULT = "default", _("Vorschlag aus dem LeiKa-Typ")
    TYPE = "type", _("Entscheidung für den Kommunaltyp")
    DEVIATION = "deviation", _("Abweichung der Kommune")
    FOR_MEMBERS = "for_members", _("für kreisangehörige Gemeinden")


class ChangeKind(models.TextChoices):
    TYPE_DECISION = "type_decision", _("Entscheidung für einen Kommunaltyp")
    DEVIATION = "deviation", _("Abweichung einer Kommune")
    DEVIATION_REMOVED = "deviation_removed", _("Abweichung zurückgenommen")
    CROSS_CHECK = "cross_check", _("Gegenprüfung bestätigt")
    REVIEW = "review", _("Themenfeld als geprüft markiert")
    REVIEW_REMOVED = "review_removed", _("Prüfvermerk zurückgenommen")


class ListScope(models.TextChoices):
    """Filter of a Kommune's relevance list."""

    RELEVANT = "relevant", _("relevante Leistungen")
    BY_DISTRICT = "by_district", _("durch den Kreis ausgeführt")
    DEVIATIONS = "deviations", _("eigene Abweichungen")
    UNDECIDED = "undecided", _("noch offen")
    ALL = "all", _("alle Leistungen")


class BulkScope(models.TextChoices):
    """Which cells a bulk decision overwrites."""

    OPEN = "open", _("nur Zellen ohne Entscheidung")
    ALL = "all", _("alle Zellen (auch bereits entschiedene)")

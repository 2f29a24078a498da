"""Deleting a campaign: its messages stay, unlinked, and their rollup counts move with them.

Rollup cells are keyed on the campaign id (0 for none). Deleting the row alone would leave
its messages' counts under an id no message carries any more, so the dashboard's figures
and a rebuild (`manage.py rebuild_rollups`) would disagree.
"""

from django.db import IntegrityError, connection, transaction

from .models import Campaign, Message
from .rollups import rollups_campaign_clear

# Times the whole delete is tried when a message was linked to the campaign at its very
# end (see below); past this many, the error is raised.
DELETE_ATTEMPTS = 3


def campaign_delete(*, campaign: Campaign) -> int:
    """Delete `campaign`, unlink its messages and move their counts; returns how many
    messages were unlinked."""
    for _ in range(DELETE_ATTEMPTS - 1):
        try:
            return _campaign_delete_once(campaign.pk)
        except IntegrityError:
            continue
    return _campaign_delete_once(campaign.pk)


def _campaign_delete_once(pk: int) -> int:
    with transaction.atomic():
        # Message rows, then the rollup table, then the campaign: the order report appliers
        # take them in (the campaign's key last, at their commit), so neither waits on the
        # other in a cycle. A message an applier links meanwhile is unlinked by the delete
        # itself (SET_NULL), and its counts cannot land after the move: the rollup table
        # stays locked until this commits.
        unlinked = Message.objects.filter(campaign_id=pk).update(campaign=None)
        rollups_campaign_clear(campaign_id=pk)
        Campaign.objects.filter(pk=pk).delete()  # and its alert rules, which cascade
        if connection.vendor == "postgresql":
            # Foreign keys are checked at commit; check them here instead, where a message
            # linked between the unlink and the delete rolls this back for a retry.
            # (SQLite has one writer at a time: nothing can link one meanwhile.)
            connection.check_constraints()
    return unlinked

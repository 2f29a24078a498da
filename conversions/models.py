"""Conversion feedback: the sender's word that a message's recipient acted on it."""

from django.db import models

from deliveries.models import Message


class Conversion(models.Model):
    """One converted message. `Message.converted_at` carries the same time for the rollups;
    this row keeps how the feedback found the message, and when it arrived.

    One per message: feedback posted again is the same conversion (the earliest time wins).
    """

    class MatchedBy(models.TextChoices):
        PROVIDER_ID = "provider_id", "provider + message id"
        ID = "id", "our id"
        CLIENT_REF = "client_ref", "client_ref (journey)"

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="conversion")
    converted_at = models.DateTimeField()
    matched_by = models.CharField(max_length=16, choices=MatchedBy.choices)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.message} converted at {self.converted_at:%Y-%m-%d %H:%M:%S}"

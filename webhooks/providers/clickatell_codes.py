"""Clickatell's message status vocabularies, as data (see clickatell.py for the sources)."""

from deliveries.status import Status

# The legacy APIs' three-digit codes; the Platform's statusCode uses the same numbers.
LEGACY_CODES: dict[str, Status] = {
    "001": Status.UNKNOWN,  # message unknown
    "002": Status.QUEUED,  # queued, redelivery will be attempted
    "003": Status.SENT,  # delivered to the upstream gateway or network
    "004": Status.DELIVERED,  # received by recipient (the handset confirmed it)
    "005": Status.FAILED,  # error with the message (probably its content)
    "006": Status.FAILED,  # user cancelled / terminated by an internal mechanism
    "007": Status.UNDELIVERED,  # error delivering the message to the handset
    "008": Status.SUBMITTED,  # OK: received by the gateway
    "009": Status.FAILED,  # routing error
    "010": Status.EXPIRED,  # expired before reaching the upstream gateway
    "011": Status.QUEUED,  # queued for later (delayed) delivery
    "012": Status.REJECTED,  # out of credit
    "014": Status.REJECTED,  # maximum MT limit exceeded
}
# The One API's statusCode values (a different numbering).
ONE_API_CODES: dict[str, Status] = {
    "1": Status.UNKNOWN,
    "2": Status.QUEUED,
    "3": Status.QUEUED,  # scheduled
    "4": Status.SENT,  # sent to supplier
    "5": Status.DELIVERED,  # device acknowledged
    "6": Status.READ,
    "20": Status.EXPIRED,
    "21": Status.FAILED,  # stopped by user
    "22": Status.FAILED,  # stopped by admin
    "23": Status.UNDELIVERED,  # delivery failure
    "25": Status.REJECTED,  # insufficient account balance
    "26": Status.REJECTED,  # volume limit
    "27": Status.REJECTED,
    "28": Status.REJECTED,
    "29": Status.UNDELIVERED,  # recipient does not exist on the channel
    "100": Status.FAILED,  # routing error
}
# Status names, from either vocabulary: they never collide, so a name decides.
NAMES: dict[str, Status] = {
    "MESSAGE_UNKNOWN": Status.UNKNOWN,
    "MESSAGE_QUEUED": Status.QUEUED,
    "DELIVERED_TO_GATEWAY": Status.SENT,
    "RECEIVED_BY_RECIPIENT": Status.DELIVERED,
    "ERROR_WITH_MESSAGE": Status.FAILED,
    "USER_CANCELLED_MESSAGE_DELIVERY": Status.FAILED,
    "ERROR_DELIVERING_MESSAGE": Status.UNDELIVERED,
    "RECEIVED_BY_GATEWAY": Status.SUBMITTED,
    "ROUTING_ERROR": Status.FAILED,
    "MESSAGE_EXPIRED": Status.EXPIRED,
    "MESSAGE_QUEUED_FOR_LATER_DELIVERY": Status.QUEUED,
    "OUT_OF_CREDIT": Status.REJECTED,
    "MAXIMUM_MT_LIMIT_EXCEEDED": Status.REJECTED,
    "QUEUED": Status.QUEUED,
    "SCHEDULED": Status.QUEUED,
    "SENT_TO_SUPPLIER": Status.SENT,
    "DEVICE_ACK": Status.DELIVERED,
    "READ": Status.READ,
    "EXPIRED": Status.EXPIRED,
    "STOPPED_BY_USER": Status.FAILED,
    "STOPPED_BY_ADMIN": Status.FAILED,
    "DELIVERY_FAILURE": Status.UNDELIVERED,
    "INSUFFICIENT_ACCOUNT_BALANCE": Status.REJECTED,
    "VOLUME_LIMIT": Status.REJECTED,
    "VOLUME_LIMIT_DAILY": Status.REJECTED,
    "VOLUME_LIMIT_MONTHLY": Status.REJECTED,
    "RECIPIENT_DOES_NOT_EXIST": Status.UNDELIVERED,
}

"""Device errors, named as facts. Every webhook refusal is a 401 and stores nothing."""

from api.errors import BadRequest, Conflict, NotFound, Unauthorized


class DeviceSignatureInvalid(Unauthorized):
    code, message = "DEVICE_SIGNATURE_INVALID", "Unknown device, or the signature does not match the request."


class DeviceRequestStale(Unauthorized):
    code, message = "DEVICE_REQUEST_STALE", "X-Timestamp is outside the accepted window."


class DeviceRequestReplayed(Unauthorized):
    code, message = "DEVICE_REQUEST_REPLAYED", "This X-Nonce was already used."


class DeviceNotFound(NotFound):
    code, message = "DEVICE_NOT_FOUND", "No such device."


class DeviceCodeTaken(Conflict):
    code, message = "DEVICE_CODE_TAKEN", "A device with this code is already registered."


class WrongDeviceKind(BadRequest):
    code, message = "WRONG_DEVICE_KIND", "This device kind does not send this kind of data."


class UnknownDetection(BadRequest):
    code, message = "UNKNOWN_DETECTION", "The device is not registered for this detection or sensor kind."

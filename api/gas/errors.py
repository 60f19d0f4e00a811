"""Gas inspection errors, named as facts."""

from api.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unprocessable


class ImportRejected(Unprocessable):
    code, message = "GAS_IMPORT_REJECTED", "The file was not imported: see details for each bad line."


class TaskNotFound(NotFound):
    code, message = "GAS_TASK_NOT_FOUND", "No such visit task in your scope."


class TaskNotLive(Conflict):
    code, message = "GAS_TASK_NOT_LIVE", "The task is done or cancelled; it cannot be reassigned."


class InspectorNotFound(NotFound):
    code, message = "INSPECTOR_NOT_FOUND", "No active gas inspector with this id in the task's street."


class CycleNotFound(NotFound):
    code, message = "GAS_CYCLE_NOT_FOUND", "No inspection cycle for this user type."


class PhotoIdTaken(Conflict):
    code, message = "GAS_PHOTO_ID_TAKEN", "Another inspector's photo has this id."


class GasBindingCheckFailed(Unprocessable):
    code = "GAS_BINDING_CHECK_FAILED"
    message = "The gas account or meter number and the contact's name or phone do not match."


class TooManyBindingAttempts(TooManyRequests):
    code, message = "TOO_MANY_BINDING_ATTEMPTS", "Too many binding attempts; try again later."


class PhotoIdInvalid(Unprocessable):
    code, message = "GAS_PHOTO_ID_INVALID", "A photo's id is the app's own UUID."


class DistrictWideOnly(Forbidden):
    code, message = "DISTRICT_WIDE_ONLY", "Only a district-wide gas supervisor may change inspection cycles."


class DocumentNotFound(NotFound):
    code, message = "GAS_DOCUMENT_NOT_FOUND", "No such visit record or notice that you may see."


class RangeInvalid(Unprocessable):
    code, message = "GAS_RANGE_INVALID", "The range's start is after its end."


class BookingDayInvalid(Unprocessable):
    code, message = "GAS_BOOKING_DAY_INVALID", "A visit can be booked from tomorrow to the last day open for booking."


class VisitNotFound(NotFound):
    code, message = "GAS_VISIT_NOT_FOUND", "No such visit at a gas user you bound."


class AlreadyRated(Conflict):
    code, message = "GAS_VISIT_ALREADY_RATED", "This visit has been rated already."


class BadgeHolderNotFound(NotFound):
    code, message = "GAS_INSPECTOR_NOT_FOUND", "No active gas inspector with this id in your street."

"""Import every model module so the metadata is complete (Alembic, workers, tests)."""

from api.assets import models as assets  # noqa: F401
from api.calendar import models as calendar  # noqa: F401
from api.cases import models as cases  # noqa: F401
from api.classification import models as classification  # noqa: F401
from api.devices import models as devices  # noqa: F401
from api.events import models as events  # noqa: F401
from api.fees import models as fees  # noqa: F401
from api.gas import models as gas  # noqa: F401
from api.identity import models as identity  # noqa: F401
from api.intake import models as intake  # noqa: F401
from api.media import models as media  # noqa: F401
from api.notifications import models as notifications  # noqa: F401
from api.open311 import models as open311  # noqa: F401
from api.organisation import models as organisation  # noqa: F401
from api.outbox import models as outbox  # noqa: F401
from api.premises import models as premises  # noqa: F401
from api.reports import models as reports  # noqa: F401
from api.routing import models as routing  # noqa: F401
from api.taxonomy import models as taxonomy  # noqa: F401

"""Classifier schemas: model versions, per-photo predictions."""

import marshmallow as ma

from api.timefmt import LocalDateTime


class ModelVersionSchema(ma.Schema):
    name = ma.fields.String()
    status = ma.fields.String(metadata={"description": "candidate | promoted | retired"})
    backbone = ma.fields.String()
    classes = ma.fields.List(ma.fields.String(), metadata={"description": "小类 the image head knows"})
    metrics = ma.fields.Dict(metadata={"description": "Held-out evaluation: summary, per_category, confusion"})
    created_at = LocalDateTime()
    promoted_at = LocalDateTime(allow_none=True)



class PromoteSchema(ma.Schema):
    force_reason = ma.fields.String(validate=ma.validate.Length(min=5, max=500), metadata={
        "description": "Promote although the promotion gate refused (or judged against another production "
                       "version): why — recorded with the promotion"})


class PhotoPredictionSchema(ma.Schema):
    media_id = ma.fields.Integer()
    model_version = ma.fields.String()
    scores = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    imagenet_top = ma.fields.List(ma.fields.List(ma.fields.Float()))
    abstained = ma.fields.Boolean(metadata={"description": "The trained head knows none of its classes in this "
                                                          "photo: its scores are the cold start's"})
    coverage = ma.fields.Float(allow_none=True, metadata={"description": "Cosine similarity to the nearest "
                                                                         "trained class's centroid"})
    created_at = LocalDateTime()


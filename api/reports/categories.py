"""The citizen-facing category list (what the mini-program shows), with the GB/T 30428 classes it hints at.

The work-order issue maps these onto the taxonomy's 小类; here they are only the reporter's hint.
Codes: `event:大类-小类` for 事件, `component:大类-小类` for 部件 (GB/T 30428 / CJ/T 214 order).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CitizenCategory:
    key: str
    label: str
    gbt_hints: tuple[str, ...]


CATEGORIES: tuple[CitizenCategory, ...] = (
    CitizenCategory("exposed_garbage", "暴露垃圾/垃圾堆放", ("event:01-02", "event:01-03")),
    CitizenCategory("road_damage", "道路破损", ("event:01-10",)),
    CitizenCategory("road_spill", "道路遗撒/余泥渣土", ("event:01-12",)),
    CitizenCategory("manhole", "井盖缺失或破损", ("component:01-01", "component:01-02", "component:01-03")),
    CitizenCategory("street_light", "路灯不亮", ("component:01-18",)),
    CitizenCategory("street_vending", "占道经营/流动摊贩", ("event:05-01", "event:05-04")),
    CitizenCategory("illegal_parking", "车辆乱停放", ("event:05-05", "event:05-06")),
    CitizenCategory("illegal_ad", "乱张贴/小广告", ("event:02-01",)),
    CitizenCategory("illegal_construction", "私搭乱建", ("event:01-01",)),
    CitizenCategory("construction_nuisance", "施工扰民/工地扬尘", ("event:03-01", "event:03-02")),
    CitizenCategory("waterlogging", "道路积水", ("event:04-06",)),
    CitizenCategory("greenery", "绿地脏乱/树木损坏", ("event:01-06",)),
    CitizenCategory("other", "其他", ()),
)

BY_KEY = {c.key: c for c in CATEGORIES}

"""The closed-loop case engine: 受理 → 立案 → 派遣 → 处置 → 核查 → 结案 → 评价, with deadlines and escalation."""

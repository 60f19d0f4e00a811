"""Gas hazards as cases with evidence, the gas office, on-site measures, badges.

- `case_media`: photos another domain stored, shown among a case's evidence by reference (a gas inspector's
  photos of the failed items; nothing is copied);
- `gas_hazards.repair_alert`, `repair_alerted_at`: a leak's alert to the gas company's 24-hour repair line;
- `gas_badges`: an inspector's badge (the day it was issued, so it expires) and its photo;
- an installation that already holds a taxonomy gets the 燃气安全 classes (one per checklist item), the
  区燃气管理办公室 when it has no `gas` department, and a district-wide 权责清单 line from each class to it. A fresh
  database gets them from the seed (`api/taxonomy/data/gas_safety_categories.csv`, `routing.load_demo_rules`);
  the classes are copied here so that this revision never changes with the shipped data.

Revision ID: 0022_gas_hazard_cases
Revises: 0021_pay_flags
Create Date: 2026-12-06 05:00:00
"""

import sqlalchemy as sa
from alembic import op

import api.db

revision = '0022_gas_hazard_cases'
down_revision = '0021_pay_flags'
branch_labels = None
depends_on = None

# (minor code, name, hazard level) of the 燃气安全 classes, event major 07, as shipped on 2026-12-06
GAS_CLASSES = (("01", "燃气泄漏", 1), ("02", "燃气设施私改", 1), ("03", "燃气管道隐患", 2), ("04", "燃气软管老化", 2),
               ("05", "燃气软管安装不规范", 2), ("06", "燃具连接管不规范", 3), ("07", "燃气阀门失效", 2),
               ("08", "燃气计量表异常", 3), ("09", "燃气灶具无熄火保护", 2), ("10", "热水器安装不当", 1),
               ("11", "液化气瓶使用违规", 1), ("12", "燃气报警装置缺失", 1), ("13", "用气场所通风不良", 3))
LIMITS = {1: (24, "emergency_hours"), 2: (7, "natural_days"), 3: (30, "natural_days")}
GAS_OFFICE = ("gas", "区燃气管理办公室")


def upgrade() -> None:
    op.create_table('case_media',
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('media_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attached_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_media_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_case_media_media_id_media'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'media_id', name=op.f('pk_case_media'))
    )
    op.create_table('gas_badges',
    sa.Column('inspector_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('photo_media_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('photo_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('photo_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_gas_badges_inspector_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['photo_by'], ['users.id'], name=op.f('fk_gas_badges_photo_by_users')),
    sa.ForeignKeyConstraint(['photo_media_id'], ['media.id'], name=op.f('fk_gas_badges_photo_media_id_media')),
    sa.PrimaryKeyConstraint('inspector_id', name=op.f('pk_gas_badges'))
    )
    with op.batch_alter_table('gas_hazards') as batch:
        batch.add_column(sa.Column('repair_alert', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('repair_alerted_at', api.db.UTCDateTime(timezone=True), nullable=True))
    _gas_classes_for_an_existing_installation()


def _gas_classes_for_an_existing_installation() -> None:
    conn = op.get_bind()
    if not conn.scalar(sa.text("SELECT count(*) FROM categories")):
        return  # a fresh database: the seed loads the taxonomy, these classes with it
    now = api.db.utcnow()
    codes = {f"event:07-{minor}": (minor, name, level) for minor, name, level in GAS_CLASSES}
    have = set(conn.scalars(sa.text("SELECT code FROM categories WHERE code LIKE 'event:07-%'")))
    categories = sa.table('categories', *(sa.column(c) for c in (
        'code', 'kind', 'major_code', 'major_name', 'minor_code', 'name', 'filing_condition', 'closing_condition',
        'time_limit', 'clock_type', 'needs_verification', 'requires_after_photo', 'is_safety', 'version',
        'is_current', 'created_at')))
    op.bulk_insert(categories, [
        {"code": code, "kind": "event", "major_code": "07", "major_name": "燃气安全", "minor_code": minor, "name": name,
         "filing_condition": f"燃气入户安检发现“{name}”，安检员现场拍照记录并开具整改通知书",
         "closing_condition": f"“{name}”已整改，安检员上门复查合格", "time_limit": float(LIMITS[level][0]),
         "clock_type": LIMITS[level][1], "needs_verification": False, "requires_after_photo": True,
         "is_safety": level == 1, "version": 1, "is_current": True, "created_at": now}
        for code, (minor, name, level) in codes.items() if code not in have])
    office = conn.scalar(sa.text("SELECT id FROM departments WHERE code = :code"), {"code": GAS_OFFICE[0]})
    if office is None:
        departments = sa.table('departments', sa.column('code'), sa.column('name'), sa.column('kind'))
        op.bulk_insert(departments, [{"code": GAS_OFFICE[0], "name": GAS_OFFICE[1], "kind": "district"}])
        office = conn.scalar(sa.text("SELECT id FROM departments WHERE code = :code"), {"code": GAS_OFFICE[0]})
    ruled = set(conn.scalars(sa.text("SELECT category_code FROM responsibilities WHERE division_code IS NULL "
                                     "AND category_code LIKE 'event:07-%'")))
    rules = sa.table('responsibilities', sa.column('category_code'), sa.column('division_code'),
                     sa.column('department_id'), sa.column('created_at'))
    op.bulk_insert(rules, [{"category_code": code, "division_code": None, "department_id": office, "created_at": now}
                           for code in codes if code not in ruled and code not in have])


def downgrade() -> None:
    # the classes, the office and the 权责清单 lines stay: cases may be filed under them, and the old schema reads them
    with op.batch_alter_table('gas_hazards') as batch:
        batch.drop_column('repair_alerted_at')
        batch.drop_column('repair_alert')
    op.drop_table('gas_badges')
    op.drop_table('case_media')

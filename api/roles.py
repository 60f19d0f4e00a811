"""The one role list of the product."""

from enum import StrEnum


class Role(StrEnum):
    CITIZEN = "citizen"
    INTAKE_CLERK = "intake_clerk"  # 受理员
    DISPATCHER = "dispatcher"  # 派遣员: 派遣, 缓办, 延期
    DEPT_HANDLER = "dept_handler"  # 部门处置人员
    DEPT_HEAD = "dept_head"  # 部门负责人
    SUPERVISOR = "supervisor"  # 监督员 (field supervisor / verifier)
    COMMAND_CENTRE = "command_centre"  # 指挥中心
    SHIFT_LEAD = "shift_lead"  # 值班长 (command centre): approves 结案 after a passed 核查 when CLOSE_APPROVAL is on
    GAS_INSPECTOR = "gas_inspector"  # 燃气安检员
    GAS_SUPERVISOR = "gas_supervisor"  # 安检主管: plans, reassigns, takes over no-shows (not the 监督员 above)
    BILLING_CLERK = "billing_clerk"  # 收费员
    BILLING_HEAD = "billing_head"  # 收费负责人: approves refunds and exemptions
    ADMIN = "admin"


STAFF_ROLES = frozenset(Role) - {Role.CITIZEN}

LABELS_ZH = {
    Role.CITIZEN: "市民",
    Role.INTAKE_CLERK: "受理员",
    Role.DISPATCHER: "派遣员",
    Role.DEPT_HANDLER: "部门处置人员",
    Role.DEPT_HEAD: "部门负责人",
    Role.SUPERVISOR: "监督员",
    Role.COMMAND_CENTRE: "指挥中心",
    Role.SHIFT_LEAD: "值班长",
    Role.GAS_INSPECTOR: "燃气安检员",
    Role.GAS_SUPERVISOR: "安检主管",
    Role.BILLING_CLERK: "收费员",
    Role.BILLING_HEAD: "收费负责人",
    Role.ADMIN: "系统管理员",
}

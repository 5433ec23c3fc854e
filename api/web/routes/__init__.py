"""The web pages' routers, one module per resource (:data:`ROUTERS`, in the order they are mounted)."""

from api.web.routes import admin, case, cases, dashboard, deadlines, downloads, evaluation, rules, selfcheck, session

ROUTERS = [session.router, cases.router, case.router, evaluation.router, rules.router, downloads.router,
           selfcheck.router, deadlines.router, dashboard.router, admin.router]

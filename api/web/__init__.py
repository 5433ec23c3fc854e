"""The web pages of the service (sign-in, 案件列表, 案件页, 自查, 期限预警, 分析研判, 用户管理).

:func:`api.web.pages.install` adds them to the FastAPI app; see that module for the routes.
"""

"""docs/rules.md is generated from the rule pages and must be current."""

from checks.catalog import load_catalog
from checks.docs import DOCS_PATH, render_rules_markdown


def test_rules_doc_is_up_to_date():
    expected = render_rules_markdown(load_catalog())
    assert DOCS_PATH.is_file(), "运行 python -m checks.docs 生成 docs/rules.md"
    assert DOCS_PATH.read_text(encoding="utf-8") == expected, "docs/rules.md 已过期：运行 python -m checks.docs"
    assert "### DL-010" in expected and "## 未实现的规则" in expected

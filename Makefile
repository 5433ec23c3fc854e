# 评查助手 — one-command setup, demo and tests (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
SHARED ?= $(abspath ../shared)
export ASSISTANT_SHARED_DIR ?= $(SHARED)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# the similar-case corpus; the index goes to $ASSISTANT_DATA_DIR/index (./var/index), where scans find it
CASES ?= $(SHARED)/data/cail2018/cases.jsonl

.PHONY: setup system-deps index demo test bench clean

system-deps:
	@if ! fc-list 2>/dev/null | grep -qi "wqy"; then \
	  if command -v apt-get >/dev/null; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q fonts-wqy-microhei fonts-arphic-ukai fontconfig; \
	  else echo "请手动安装中文字体 fonts-wqy-microhei"; fi; \
	fi
	@# the browser of the web-page tests (Playwright drives the system chromium; Playwright downloads nothing)
	@if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then \
	  if command -v apt-get >/dev/null; then \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    ($$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium) >/dev/null 2>&1 \
	      || echo "未能安装 chromium，浏览器测试将跳过"; \
	  else echo "请手动安装 chromium（浏览器测试需要）"; fi; \
	fi

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[dev,ray]"
	touch $@

setup: system-deps $(VENV)/.installed

# builds the lexical similar-case index in the data directory, or reuses it when it is current
index: setup
	$(VENV)/bin/assistant index build --cases "$(CASES)" --lexical --reuse

demo: setup
	@if [ -f "$(CASES)" ]; then $(MAKE) --no-print-directory index; \
	  else echo "未找到类案案例文件 $(CASES)，不建立类案索引（扫描将提示未配置类案索引）。"; fi
	$(VENV)/bin/assistant scan fixtures/sample/dossier --out out/demo
	@echo "HTML 报告：out/demo/report.html；评查结果通知书：out/demo/notice.docx"

test: setup
	$(VENV)/bin/python -m pytest -n 2 -q

bench: setup
	$(PY) bench/text_pages.py

clean:
	rm -rf out var .pytest_cache

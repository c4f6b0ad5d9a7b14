"""The command line: every command documented, helpful, and failing cleanly."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def test_there_are_the_commands_the_issue_names():
    assert {"crawl", "search", "show", "extract", "reindex", "import"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help_ending_in_an_example(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    lines = [l.strip() for l in result.output.strip().splitlines() if l.strip()]
    heading = max(i for i, l in enumerate(lines) if l in ("Example:", "Examples:"))
    examples = lines[heading + 1:]
    assert examples and all(l.startswith(f"mediarchive {name}") for l in examples), result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_is_in_the_readme(name):
    assert re.search(rf"`mediarchive {name}\b", README), name


def test_readme_test_command_is_what_ci_runs():
    ci = (REPO / ".ci" / "run").read_text()
    commands = re.findall(r"```sh\n(python3 -m venv .*?)\n```", README)
    assert len(commands) == 2
    install_and_crawl, install_and_test = commands
    assert install_and_test in ci
    assert "mediarchive crawl" in install_and_crawl


def test_readme_lists_every_source():
    from archive.sources import load_config

    for source in load_config(REPO / "config" / "sources.yaml").sources:
        assert f"| `{source.name}` |" in README, source.name


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("sources: [name: x\n  - broken", "malformed YAML"),
        ("sources:\n  - name: a\n    start_urls: ['http://127.0.0.1/']\n    colour: red\n", "source 'a': unknown key 'colour'"),
        ("sources:\n  - name: a\n    start_urls: ['http://127.0.0.1/']\n    deny_pattern: ['[z-a]']\n", "source 'a': deny_pattern: bad regular expression"),
    ],
)
def test_bad_sources_file_is_one_line_and_exit_2(tmp_path, yaml_text, message):
    config = tmp_path / "sources.yaml"
    config.write_text(yaml_text)
    result = CliRunner().invoke(main, ["crawl", "--config", str(config), "--data", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert not (tmp_path / "data").exists()


def test_unknown_source_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["crawl", "--config", str(REPO / "config" / "sources.yaml"), "--source", "nope", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "no source named 'nope'" in result.output


def test_search_without_an_index(tmp_path):
    result = CliRunner().invoke(main, ["search", "x", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "no index yet" in result.output


def test_search_with_a_bad_date(tmp_path):
    from archive.index.store import Index

    Index(tmp_path / "index.sqlite").close()
    result = CliRunner().invoke(main, ["search", "x", "--since", "yesterday", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "--since: 'yesterday' is not a date" in result.output


def test_show_unknown_url(tmp_path):
    from archive.index.store import Index

    Index(tmp_path / "index.sqlite").close()
    result = CliRunner().invoke(main, ["show", "https://nowhere.example/", "--data", str(tmp_path)])
    assert result.exit_code == 1 and "is not in the index" in result.output


def test_extract_a_saved_page(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<html lang='en'><head><title>Council votes on buses</title></head><body><article><h1>Council votes on buses</h1>"
        + "<p>The city council voted on Tuesday to expand the night bus network across all districts.</p>" * 5
        + "</article></body></html>"
    )
    result = CliRunner().invoke(main, ["extract", str(page), "--url", "https://news.example/a", "--json"])
    assert result.exit_code == 0, result.output
    assert '"title": "Council votes on buses"' in result.output
    assert '"language": "en"' in result.output


def test_extract_a_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "none.html"), "--url", "https://a.example/"])
    assert result.exit_code == 2 and "cannot read" in result.output


def test_show_refuses_html_and_json_together(tmp_path):
    from archive.index.store import Index

    Index(tmp_path / "index.sqlite").close()
    result = CliRunner().invoke(main, ["show", "https://nowhere.example/", "--html", "--json", "--data", str(tmp_path)])
    assert result.exit_code == 2 and "give one of them" in result.output


def test_a_query_read_as_an_option_says_how_to_leave_a_word_out(tmp_path):
    result = CliRunner().invoke(main, ["search", "-election", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "No such option '-e': a query starting with '-' was read as an option" in result.output
    assert 'mediarchive search "Kherson -Kyiv"' in result.output


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_as_the_readme_says(shell):
    """The README's completion lines: each shell's script, and what Tab
    offers for a command and for an option (bash's protocol)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"_MEDIARCHIVE_COMPLETE={shell}_source mediarchive" in readme
    command = [str(Path(sys.executable).with_name("mediarchive"))]  # the installed command: completion goes by its name
    env = {**os.environ, "_MEDIARCHIVE_COMPLETE": f"{shell}_source"}
    script = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert script.returncode == 0 and "_MEDIARCHIVE_COMPLETE" in script.stdout, script.stderr
    for words, offered in (("mediarchive sou", "sources"), ("mediarchive search --sin", "--since")):
        env = {**os.environ, "_MEDIARCHIVE_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert f"plain,{offered}" in done.stdout.splitlines(), done.stdout + done.stderr


def test_replay_without_the_package_index_says_how_to_install_its_environment(tmp_path):
    """pywb's environment is made on first use, from the package index: with
    none reachable, one line says so and how to make it, exit 1."""
    env = {**os.environ, "MEDIARCHIVE_PYWB_VENV": str(tmp_path / "pywb-venv"), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""}
    run = subprocess.run([sys.executable, "-m", "crawler.cli", "replay", "--setup-only"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    (line,) = [line for line in run.stderr.splitlines() if line.startswith("error")]
    for needed in ("installed once from the package index", "--setup-only", "MEDIARCHIVE_PYWB_VENV", "pip install -r"):
        assert needed in line, line

"""Rules of calling lists, campaigns, export jobs and talk scripts, on the full fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from okc import config


def problems(center: Path, old: str, new: str) -> list[str]:
    text = center.read_text(encoding="utf-8")
    assert old in text, old
    with pytest.raises(config.ConfigError) as info:
        config.loads(text.replace(old, new, 1), str(center))
    return [str(p) for p in info.value.problems]


CASES = [
    ("{name: phone, type: phone}", "{name: phone, type: other}", "needs at least one column of type phone"),
    ("{name: fio, type: name}", "{name: phone, type: name}", "column 'phone' is listed twice"),
    ("{name: tz, type: time_zone}", "{name: tz, type: region}", "only one column may be of type region"),
    ('delimiter: ";"', 'delimiter: ";;"', "should match pattern"),
    (
        "service: Обзвон\n    mode: predictive",
        "service: Входящие вызовы\n    mode: predictive",
        "service 'Входящие вызовы' is inbound; campaigns need an outbound or blended service",
    ),
    ("mode: predictive", "mode: manual", "'preview', 'progressive', 'predictive' or 'automatic'"),
    (
        "mode: predictive\n    enabled: true\n    scenario: Входящие вызовы",
        "mode: automatic\n    enabled: true",
        "automatic campaigns need a scenario",
    ),
    ("- list: Клиенты", "- list: Другие", "campaign 'Обзвон' list: unknown calling list 'Другие'"),
    (
        "filters: [{column: product,",
        "filters: [{column: colour,",
        "campaign 'Обзвон' filters: calling list 'Клиенты' has no column 'colour'",
    ),
    (
        "sorting: [{column: zip,",
        "sorting: [{column: age,",
        "campaign 'Обзвон' sorting: calling list 'Клиенты' has no column 'age'",
    ),
    (
        "{name: region, type: region}",
        "{name: region, type: other}",
        "respects calling hours, but calling list 'Клиенты' has no region column",
    ),
    (
        "{name: zip, type: postal_code}",
        "{name: zip, type: other}",
        "takes local time from postal codes, but calling list 'Клиенты' has no postal_code column",
    ),
    ("dnc_lists: [Не звонить]", "dnc_lists: [Чёрный]", "dnc_lists: unknown do-not-call list 'Чёрный'"),
    (
        "{result: busy, retry_after: 10",
        "{result: no_answer, retry_after: 10",
        "two retry rules for result no_answer",
    ),
    ("no_answer_limit: 40", "no_answer_limit: 0", "greater than or equal to 1"),
    ("ratio: 2", "ratio: 0", "greater than or equal to 1"),
    ('start: "10:00", end: "20:00"}]', 'start: "20:00", end: "10:00"}]', "end must be after start"),
    (
        'country_code: "7"\n    region: MSK',
        'country_code: "7"\n    region: null',
        "calling hours for '+7 (whole country)' is defined twice",
    ),
    ('country_code: "7"\n    windows', 'country_code: "07"\n    windows', "should match pattern"),
    ("${callTime}_${customerNumber}", "${callTime}_${caller}", "unknown variable ${caller} in path template"),
    ('path: "results/', 'path: "/results/', "must stay inside the export folder"),
    ('path: "results/', 'path: "../results/', "must stay inside the export folder"),
    ("${exportDate}_", "${exportDate_", "unclosed or bare '$'"),
    ("protocol: local", "protocol: ftp", "ftp exports need a host"),
    (
        "username: exporter\n    secret_env: OKC_EXPORT_SECRET",
        "username: exporter\n    secret_env: null",
        "a username needs secret_env or secret_file",
    ),
    (
        "dispositions: [Решено]",
        "dispositions: [Победа]",
        "export job 'Записи' dispositions: unknown disposition 'Победа'",
    ),
    (
        "service: Обзвон\n    kind: results",
        "service: Входящие вызовы\n    kind: results",
        "service 'Входящие вызовы' has no campaign whose results to export",
    ),
    (
        "field_columns: {Клиент: fio,",
        "field_columns: {Клиент: fullname,",
        "no calling list of the service has a column 'fullname'",
    ),
    (
        "field_columns: {Клиент: fio,",
        "field_columns: {Покупатель: fio,",
        "talk script 'Продажа' has no field 'Покупатель'",
    ),
    ("url: https://scripts", "url: ftp://scripts", "should match pattern"),
    (
        "- {name: Не звонить, file: lists/dnc.csv}",
        "- {name: Не звонить, file: lists/none.csv}",
        "none.csv does not exist",
    ),
    ("secret_file: secrets/trunk.txt", "secret_file: secrets/missing.txt", "missing.txt does not exist"),
    ('caller_id: "+74950000001"', "caller_id: 74950000001", "quoted string of digits"),
    (
        'external_numbers: ["74996538392",',
        'external_numbers: ["4040",',
        "number 4040 already belongs to dial-in plan 'Входящие'",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), CASES)
def test_campaign_and_export_rules(full_center: Path, old: str, new: str, message: str) -> None:
    found = problems(full_center, old, new)
    assert any(message in p for p in found), found
    assert all(p.startswith(f"{full_center}:") for p in found), found

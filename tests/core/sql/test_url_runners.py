"""`sql run --db URL` on URLs that are not saved: one pooled engine per URL, a bounded number of them."""

from __future__ import annotations

import shutil

from tests.core.sql.conftest import CHINOOK_SQLITE


def copies(tmp_path, count: int) -> list[str]:
    urls = []
    for number in range(count):
        path = tmp_path / f"chinook-{number}.sqlite"
        shutil.copyfile(CHINOOK_SQLITE, path)
        urls.append(f"sqlite:///{path}")
    return urls


def test_one_url_keeps_one_engine_across_runs_and_answers_right(workbench, tmp_path):
    service, (url,) = workbench.sql, copies(tmp_path, 1)
    first = service.run_url(url, "SELECT COUNT(*) FROM Artist")
    runner = next(iter(service._url_runners.values()))
    second = service.run_url(url, "SELECT Name FROM Genre WHERE GenreId = :id", {"id": 1})
    assert first.rows == ((275,),) and second.rows == (("Rock",),)
    assert list(service._url_runners.values()) == [runner]  # the same pool served both
    assert service.history("default") == []  # unsaved URLs are not recorded


def test_the_oldest_url_pool_is_closed_when_more_urls_are_used(workbench, tmp_path):
    service = workbench.sql
    urls = copies(tmp_path, 5)
    for url in urls[:4]:
        service.run_url(url, "SELECT 1")
    oldest = list(service._url_runners.values())[0]
    service.run_url(urls[4], "SELECT 1")
    assert len(service._url_runners) == 4 and oldest not in service._url_runners.values()
    assert oldest._database.engine.pool.checkedin() == 0  # its connection was closed, not left idle
    assert service.run_url(urls[0], "SELECT COUNT(*) FROM Genre").rows == ((25,),)  # reopened on demand


def test_closing_the_service_closes_every_url_pool(workbench, tmp_path):
    service, (url,) = workbench.sql, copies(tmp_path, 1)
    service.run_url(url, "SELECT 1")
    service.close()
    assert not service._url_runners

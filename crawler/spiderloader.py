"""A Scrapy spider loader that offers one spider per source of the sources
file, so `scrapy list` and `scrapy crawl moonofalabama` work as Scrapy users
expect, without a Python class per outlet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive.sources import Config, load_config
from crawler.spiders.source import spider_class_for

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.settings import BaseSettings


class SourceSpiderLoader:
    def __init__(self, config: Config):
        self._config = config

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> SourceSpiderLoader:
        return cls(load_config(settings.get("ARCHIVE_SOURCES_FILE")))

    def load(self, spider_name: str) -> type[Spider]:
        for source in self._config.sources:
            if source.name == spider_name:
                return spider_class_for(source)
        raise KeyError(f"Spider not found: {spider_name}")

    def list(self) -> list[str]:
        return [source.name for source in self._config.sources]

    def find_by_request(self, request: Request) -> list[str]:
        name = self._config.source_for_url(request.url)
        return [name] if name else []

"""The Python job-class contract of the Ilum platform.

Job code written for it runs unchanged in Sparkdeck's interactive drivers::

    from ilum.api import IlumJob

    class WordCount(IlumJob):
        def run(self, spark, config):
            return str(spark.read.text(config["path"]).count())
"""

from typing import Any, Optional


class IlumJob:
    """Subclass and implement :meth:`run`; the driver calls it once per request."""

    def run(self, spark: Any, config: dict) -> Optional[str]:
        raise NotImplementedError(f"{type(self).__name__} does not implement run(self, spark, config)")

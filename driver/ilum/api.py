"""The Python job-class contract of the Ilum platform, as its `ilum-job-api` package has it.

Job code written for it runs unchanged in Sparkdeck's interactive drivers::

    from ilum.api import IlumJob

    class WordCount(IlumJob):
        def run(self, spark, config):
            return str(spark.read.text(config["path"]).count())

When a job's environment installs the real `ilum-job-api`, the driver imports that one.
"""

from abc import ABC, abstractmethod
from typing import Any, Optional


class IlumJob(ABC):
    """Subclass and implement :meth:`run`; the driver calls it once per request. A subclass
    without `run` cannot be instantiated (TypeError), as on the platform."""

    @abstractmethod
    def run(self, spark: Any, config: dict) -> Optional[str]:
        """The job's work on `spark`; its result as text, or None."""
